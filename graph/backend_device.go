package graph

import (
	"encoding/binary"
	"fmt"
	"log"
	"math"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// The device backend runs a Program's steps as the CUDA twins of their
// kernels (package kernels/launch) on a deviceRuntime: the GPU in the gpu build
// (backend_gpu.go), the CPU emulation of the .cu sources in tests. It is plain
// Go so that those tests check the lowering of every step on any machine.
//
// Memory: the model's parameters and gradients live in one arena shared by all
// programs; each program gets one arena for its activations, inputs, constants,
// dropout seeds and scratch, laid out by a cuda.Plan that mirrors the CPU
// buffer plan (buffers sharing storage on the host share it on the device).
//
// Transfers per run: the input batch and labels up (staged through pinned
// memory on a copy stream when the runtime can, so the copy overlaps the work
// still queued, such as the previous step's parameter update), the dropout
// seeds up, and 8 bytes down: the loss and the count of right predictions,
// computed on the device; an evaluation run also brings the logits down. By
// default the parameters are the host's: their values go up before each run
// and, after a training run, the gradients and the updated running statistics
// come down, so host-side solvers work unchanged. SetResident(true) keeps them
// on the device instead (PushParams/PullParams move them explicitly,
// ParamRegion hands them to device-side optimizers). A run allocates nothing
// once its program is prepared.

// deviceRuntime is what the device backend needs from a device.
type deviceRuntime = launch.Device

// stager is a runtime that uploads through pinned host memory on a copy
// stream, ordered before the work queued after it (cuda.Runtime).
type stager interface {
	StageUpload(dst cuda.Ptr, src []float32) error
	StageUploadBytes(dst cuda.Ptr, src []byte) error
}

// graphRecorder is a runtime that can record queued work into a replayable
// graph (CUDA graphs): BeginCapture, queue, EndCapture.
type graphRecorder interface {
	BeginCapture() error
	EndCapture() (replay func() error, err error)
}

// deviceBackend runs programs of one model on a deviceRuntime.
type deviceBackend struct {
	rt       deviceRuntime
	model    *Model
	resident bool
	warnf    func(format string, args ...any)
	warned   map[string]bool

	region    ParamRegion           // the trainable parameters and their gradients
	state     []*Param              // the other parameters
	params    map[*float32]cuda.Ptr // storage of each Param's Value and Grad → device address
	paramBase cuda.Ptr
	flat      []float32 // host copy of the region, for gather and scatter
	programs  map[*Program]*deviceProgram
}

// NewDeviceBackend runs the float32 model m on dev, which queues the CUDA
// kernels: a GPU (NewCUDA opens one) or the CPU emulation of the kernels
// (kernels/cuda_emu), which lets tests of other packages run the device
// path — resident parameters, device-side optimizers — on any machine.
func NewDeviceBackend(dev launch.Device, m *Model) (ResidentBackend, error) {
	b, err := newDeviceBackend(dev, m)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func newDeviceBackend(rt deviceRuntime, m *Model) (*deviceBackend, error) {
	if m.Dtype != tensor.Float32 {
		return nil, fmt.Errorf("the CUDA backend runs float32 models; this model is %v", m.Dtype)
	}
	return &deviceBackend{rt: rt, model: m, warnf: log.Printf, warned: map[string]bool{},
		programs: map[*Program]*deviceProgram{}}, nil
}

// Name implements Backend.
func (b *deviceBackend) Name() string { return "cuda" }

// SetResident chooses where the parameters live between runs: on the host
// (false, the default: uploaded before each run, gradients and running
// statistics downloaded after a training run) or on the device (true: nothing
// moves unless PushParams or PullParams say so).
func (b *deviceBackend) SetResident(on bool) error {
	if err := b.allocParams(); err != nil {
		return err
	}
	if on && !b.resident {
		if err := b.PushParams(); err != nil {
			return err
		}
	}
	b.resident = on
	return nil
}

// SetWarnings sets where one-time warnings go (log.Printf by default).
func (b *deviceBackend) SetWarnings(warnf func(format string, args ...any)) { b.warnf = warnf }

func (b *deviceBackend) warnOnce(key, format string, args ...any) {
	if !b.warned[key] {
		b.warned[key] = true
		b.warnf(format, args...)
	}
}

// ParamRegion is the device layout of the trainable parameters, the one the
// fused optimizer kernels of kernels/launch (SGD, Adam, ...) update in a single
// launch: Values and Grads each hold Total floats, Params[k] at element
// Offsets[k] (launch.FlatLayout), with zeros between tensors, on Device. A
// device-side optimizer allocates its state regions with the same layout and
// queues its launches on Device, after the training run that left the
// gradients.
type ParamRegion struct {
	Params        []*Param
	Offsets       []int
	Total         int
	Values, Grads cuda.Ptr
	Device        launch.Device
}

// allocParams lays out the parameters in one arena, once: the trainable ones
// as a ParamRegion, then each state tensor.
func (b *deviceBackend) allocParams() error {
	if b.params != nil {
		return nil
	}
	var sizes []int
	r := &b.region
	r.Device = b.rt
	for _, p := range b.model.Params {
		if p.Trainable() {
			r.Params = append(r.Params, p)
			sizes = append(sizes, p.Value.Len())
		} else {
			b.state = append(b.state, p)
		}
	}
	r.Offsets, r.Total = launch.FlatLayout(sizes)
	b.flat = make([]float32, r.Total)
	var plan cuda.Plan
	values, grads := plan.Reserve(int64(4*r.Total)), plan.Reserve(int64(4*r.Total))
	stateAt := make([]int64, len(b.state))
	for i, p := range b.state {
		stateAt[i] = plan.Reserve(int64(4 * p.Value.Len()))
	}
	base, err := b.rt.Alloc(plan.Size())
	if err != nil {
		return err
	}
	b.paramBase, r.Values, r.Grads = base, base.Add(values), base.Add(grads)
	b.params = map[*float32]cuda.Ptr{}
	for k, p := range r.Params {
		b.params[&p.Value.F32[0]] = r.Values.F32(r.Offsets[k])
		b.params[&p.Grad.F32[0]] = r.Grads.F32(r.Offsets[k])
	}
	for i, p := range b.state {
		b.params[&p.Value.F32[0]] = base.Add(stateAt[i])
	}
	// Gradients start as the host's: a parameter the loss does not reach keeps
	// its gradient, as on the CPU.
	return b.rt.Upload(r.Grads, b.gather(func(p *Param) *Buffer { return p.Grad }))
}

// gather copies a buffer of each trainable parameter into the flat host
// region (zeros between tensors) and returns it.
func (b *deviceBackend) gather(of func(*Param) *Buffer) []float32 {
	clear(b.flat)
	for k, p := range b.region.Params {
		copy(b.flat[b.region.Offsets[k]:], of(p).F32)
	}
	return b.flat
}

// scatter downloads a flat region into a buffer of each trainable parameter.
func (b *deviceBackend) scatter(src cuda.Ptr, of func(*Param) *Buffer) error {
	if err := b.rt.Download(b.flat, src); err != nil {
		return err
	}
	for k, p := range b.region.Params {
		buf := of(p)
		copy(buf.F32, b.flat[b.region.Offsets[k]:][:len(buf.F32)])
	}
	return nil
}

func value(p *Param) *Buffer    { return p.Value }
func gradient(p *Param) *Buffer { return p.Grad }

// PushParams uploads every parameter value (trainable and state) to the device.
func (b *deviceBackend) PushParams() error {
	if err := b.allocParams(); err != nil {
		return err
	}
	if err := b.rt.Upload(b.region.Values, b.gather(value)); err != nil {
		return fmt.Errorf("uploading the parameters: %w", err)
	}
	for _, p := range b.state {
		if err := b.rt.Upload(b.params[&p.Value.F32[0]], p.Value.F32); err != nil {
			return fmt.Errorf("uploading %s: %w", p.Name, err)
		}
	}
	return nil
}

// PullParams downloads every parameter value and gradient from the device.
func (b *deviceBackend) PullParams() error {
	if err := b.allocParams(); err != nil {
		return err
	}
	if err := b.scatter(b.region.Values, value); err != nil {
		return fmt.Errorf("downloading the parameters: %w", err)
	}
	return b.pullTraining()
}

// pullTraining downloads what a training run changes: the gradients and the
// state (batch norm's running statistics).
func (b *deviceBackend) pullTraining() error {
	if err := b.scatter(b.region.Grads, gradient); err != nil {
		return fmt.Errorf("downloading the gradients: %w", err)
	}
	for _, p := range b.state {
		if err := b.rt.Download(p.Value.F32, b.params[&p.Value.F32[0]]); err != nil {
			return fmt.Errorf("downloading %s: %w", p.Name, err)
		}
	}
	return nil
}

// ParamRegion returns the device layout of the trainable parameters, for
// optimizers that update them on the device (with SetResident(true)).
func (b *deviceBackend) ParamRegion() (ParamRegion, error) {
	if err := b.allocParams(); err != nil {
		return ParamRegion{}, err
	}
	return b.region, nil
}

// Close frees the device memory of the parameters and of every program.
func (b *deviceBackend) Close() error {
	var first error
	for p, dp := range b.programs {
		if err := b.rt.Free(dp.base); err != nil && first == nil {
			first = err
		}
		delete(b.programs, p)
	}
	if b.params != nil {
		if err := b.rt.Free(b.paramBase); err != nil && first == nil {
			first = err
		}
		b.params = nil
	}
	return first
}

// deviceProgram is a Program prepared for the device: addresses of all its
// buffers and its steps lowered to launches.
type deviceProgram struct {
	base     cuda.Ptr              // the program's arena
	addr     map[*float32]cuda.Ptr // storage → device address
	input    cuda.Ptr              // the batch, uploaded on each run
	labels   cuda.Ptr
	seeds    cuda.Ptr // one uint64 per dropout step, uploaded on each training run
	dropouts []dropoutKernel
	seedHost []byte // the seeds' host copy
	work     cuda.Ptr
	steps    []func(q launch.Queue) error
	// results holds the loss (float32) and the count of right predictions
	// (int32), written by the epilogue launches after the steps.
	results  cuda.Ptr
	epilogue []cuda.Launch
	counts   bool // a classifier with labels: the epilogue counts right predictions
	// fetched receives results. The driver's copy hands it to C, whose
	// pointer check rejects memory inside an object holding Go pointers
	// (an array field here): it is an allocation of its own.
	fetched  []byte
	onHost   bool // some step falls back to its CPU kernel: no graph capture
	replay   func() error
	ran      bool // a run went launch by launch
	captured bool // capture was tried
	p        *Program
}

// ptr is the device address of b.
func (dp *deviceProgram) ptr(b *Buffer) cuda.Ptr {
	switch {
	case b == nil:
		return 0
	case b == dp.p.Input:
		return dp.input
	case b == dp.p.Labels:
		return dp.labels
	}
	return dp.addr[&b.F32[0]]
}

// Run implements Backend.
func (b *deviceBackend) Run(p *Program, iteration uint64) error {
	dp, err := b.prepare(p)
	if err != nil {
		return err
	}
	if p.Input != nil {
		if err := b.upload(dp.input, p.Input.F32); err != nil {
			return fmt.Errorf("uploading the batch: %w", err)
		}
	}
	if p.Labels != nil {
		if dp.counts {
			if err := checkLabels(p.Labels.F32, p.Logits.Shape[1]); err != nil {
				return err
			}
		}
		if err := b.upload(dp.labels, p.Labels.F32); err != nil {
			return fmt.Errorf("uploading the labels: %w", err)
		}
	}
	if !b.resident {
		if err := b.PushParams(); err != nil {
			return err
		}
	}
	if len(dp.dropouts) > 0 {
		for i, k := range dp.dropouts {
			binary.LittleEndian.PutUint64(dp.seedHost[8*i:], k.stepSeed(iteration))
		}
		if err := b.uploadBytes(dp.seeds, dp.seedHost); err != nil {
			return fmt.Errorf("uploading the dropout seeds: %w", err)
		}
	}
	if err := b.execute(dp); err != nil {
		return err
	}
	if err := b.rt.DownloadBytes(dp.fetched, dp.results); err != nil {
		return fmt.Errorf("downloading the loss: %w", err)
	}
	p.Loss.F32[0] = math.Float32frombits(binary.LittleEndian.Uint32(dp.fetched[:4]))
	p.correct = int(int32(binary.LittleEndian.Uint32(dp.fetched[4:])))
	p.countedCorrect = dp.counts
	if !p.Training { // Evaluate hands the logits out
		if err := b.rt.Download(p.Logits.F32, dp.ptr(p.Logits)); err != nil {
			return fmt.Errorf("downloading the logits: %w", err)
		}
	}
	if b.resident || !p.Training {
		return nil
	}
	return b.pullTraining()
}

// upload copies src to dst, staged through pinned memory when the runtime can.
func (b *deviceBackend) upload(dst cuda.Ptr, src []float32) error {
	if s, ok := b.rt.(stager); ok {
		return s.StageUpload(dst, src)
	}
	return b.rt.Upload(dst, src)
}

func (b *deviceBackend) uploadBytes(dst cuda.Ptr, src []byte) error {
	if s, ok := b.rt.(stager); ok {
		return s.StageUploadBytes(dst, src)
	}
	return b.rt.UploadBytes(dst, src)
}

// execute queues the steps: as a captured graph when the runtime records
// graphs and every step runs on the device, else launch by launch. The first
// run always goes launch by launch, so that loading kernels and cuBLAS's first
// calls happen outside a capture; the second is captured and replayed, and so
// is every later one.
func (b *deviceBackend) execute(dp *deviceProgram) error {
	if rec, ok := b.rt.(graphRecorder); ok && !dp.onHost && dp.ran && !dp.captured {
		dp.captured = true
		replay, err := capture(rec, b.rt, dp)
		if err != nil {
			b.warnOnce("capture", "cuda: running the program launch by launch: graph capture failed: %v", err)
		}
		dp.replay = replay
	}
	if dp.replay != nil {
		return dp.replay()
	}
	dp.ran = true
	return dp.queue(b.rt)
}

// forgetGraphs drops the captured graphs, so that the next run of each
// program captures its launches again (after a change of cuBLAS's math mode,
// which a graph has baked in).
func (b *deviceBackend) forgetGraphs() {
	for _, dp := range b.programs {
		dp.replay, dp.captured = nil, false
	}
}

// queue queues dp's steps and its epilogue on q.
func (dp *deviceProgram) queue(q launch.Queue) error {
	for i, step := range dp.steps {
		if err := step(q); err != nil {
			return fmt.Errorf("step %d (%s): %w", i, dp.p.Steps[i].Name, err)
		}
	}
	for _, l := range dp.epilogue {
		if err := q.Launch(l); err != nil {
			return fmt.Errorf("%s after the steps: %w", l.Kernel, err)
		}
	}
	return nil
}

// capture records dp's steps, queued on q, into a graph.
func capture(rec graphRecorder, q launch.Queue, dp *deviceProgram) (func() error, error) {
	if err := rec.BeginCapture(); err != nil {
		return nil, err
	}
	queued := dp.queue(q)
	replay, err := rec.EndCapture()
	if queued != nil {
		return nil, queued
	}
	return replay, err
}

// checkLabels is the label check of kernels.SoftmaxCrossEntropyForward, done on
// the host before upload: the device kernel turns a bad label into NaN.
func checkLabels(labels []float32, classes int) error {
	for i, v := range labels {
		if f := float64(v); !(f >= 0 && f < float64(classes)) || f != math.Trunc(f) {
			return fmt.Errorf("softmax cross-entropy: label %v of row %d is not a class index in [0, %d)", v, i, classes)
		}
	}
	return nil
}

// prepare lays out p's buffers in an arena and lowers its steps, once per
// program.
func (b *deviceBackend) prepare(p *Program) (*deviceProgram, error) {
	if dp, ok := b.programs[p]; ok {
		return dp, nil
	}
	if err := b.allocParams(); err != nil {
		return nil, err
	}
	dp := &deviceProgram{p: p, addr: map[*float32]cuda.Ptr{}}
	var plan cuda.Plan
	offsets := map[*float32]int64{}
	written := map[*float32]bool{}
	for _, s := range p.Steps {
		for _, buf := range append([]*Buffer{s.Out}, s.In...) {
			if n := ShapeSize(buf.Shape); n > math.MaxInt32 {
				return nil, fmt.Errorf("%s: a tensor of %v (%d elements) exceeds the CUDA kernels' limit of 2³¹−1 elements", s.Name, buf.Shape, n)
			}
		}
	}
	region := func(buf *Buffer) {
		if buf == p.Input || buf == p.Labels || len(buf.F32) == 0 {
			return
		}
		s := &buf.F32[0]
		if _, ok := b.params[s]; ok {
			return
		}
		if _, ok := offsets[s]; !ok {
			offsets[s] = plan.Reserve(int64(4 * cap(buf.F32)))
		}
	}
	for _, s := range p.Steps {
		for _, in := range s.In {
			region(in)
		}
		region(s.Out)
		written[&s.Out.F32[0]] = true
	}
	region(p.Loss)
	region(p.Logits)
	var input, labels int64
	if p.Input != nil {
		input = plan.Reserve(int64(4 * ShapeSize(p.Input.Shape)))
	}
	if p.Labels != nil {
		labels = plan.Reserve(int64(4 * ShapeSize(p.Labels.Shape)))
	}

	// Lower the steps; their scratch and seeds are laid out after the buffers.
	type lowered struct {
		run  stepFunc
		work int
	}
	lows := make([]lowered, len(p.Steps))
	work := 0
	for i := range p.Steps {
		run, need, ok := lower(&p.Steps[i], p.Training, dp)
		if !ok {
			run, need = b.onHost(&p.Steps[i], p), 0
			dp.onHost = true
		}
		lows[i] = lowered{run, need}
		work = max(work, need)
	}
	seeds := plan.Reserve(int64(8 * len(dp.dropouts)))
	results := plan.Reserve(8)
	workOff := plan.Reserve(int64(4 * work))

	base, err := b.rt.Alloc(plan.Size())
	if err != nil {
		return nil, fmt.Errorf("allocating %d bytes for the program: %w", plan.Size(), err)
	}
	dp.base, dp.input, dp.labels, dp.seeds, dp.work = base, base.Add(input), base.Add(labels), base.Add(seeds), base.Add(workOff)
	dp.results, dp.seedHost, dp.fetched = base.Add(results), make([]byte, 8*len(dp.dropouts)), make([]byte, 8)
	for s, off := range offsets {
		dp.addr[s] = base.Add(off)
	}
	for s, a := range b.params {
		dp.addr[s] = a
	}
	for _, l := range lows {
		dp.steps = append(dp.steps, l.run(dp))
	}
	dp.epilogue = []cuda.Launch{launch.Copy(dp.ptr(p.Loss), dp.results, 1)}
	dp.counts = !b.model.Regression && p.Labels != nil && len(p.Logits.Shape) == 2
	if dp.counts {
		dp.epilogue = append(dp.epilogue, launch.CountCorrect(p.Logits.Shape[0], p.Logits.Shape[1], dp.ptr(p.Logits), dp.labels, dp.results.Add(4)))
	}
	// Buffers no step writes and no run uploads are constants: upload them now.
	for _, s := range p.Steps {
		for _, in := range s.In {
			if in == p.Input || in == p.Labels || written[&in.F32[0]] {
				continue
			}
			if _, ok := b.params[&in.F32[0]]; ok {
				continue
			}
			if err := b.rt.Upload(dp.ptr(in), in.F32); err != nil {
				b.rt.Free(base)
				return nil, fmt.Errorf("uploading a constant of %s: %w", s.Name, err)
			}
		}
	}
	b.programs[p] = dp
	return dp, nil
}

// onHost runs a step without a CUDA twin on its CPU kernel: its inputs come
// down, its output goes up. It is correct and slow; a warning names the op once.
func (b *deviceBackend) onHost(s *Step, p *Program) stepFunc {
	b.warnOnce("host "+s.Name, "cuda: %s has no CUDA kernel: it runs on the CPU, with copies to and from the device", s.Name)
	return func(dp *deviceProgram) func(q launch.Queue) error {
		return func(launch.Queue) error {
			for _, in := range s.In {
				if in == p.Input || in == p.Labels {
					continue
				}
				if err := b.rt.Download(in.F32, dp.ptr(in)); err != nil {
					return err
				}
			}
			ctx := &execContext{training: p.Training, work: p.Workspace}
			if err := s.k.exec(ctx, s.In, s.Out); err != nil {
				return err
			}
			return b.rt.Upload(dp.ptr(s.Out), s.Out.F32)
		}
	}
}

// stepFunc builds a step's queueing function once addresses are known.
type stepFunc = func(dp *deviceProgram) func(q launch.Queue) error

// lower maps a step to its CUDA launches: the queueing function, the scratch it
// needs (floats at dp.work) and whether the op has a CUDA twin. Dropout steps
// claim their seed slot in dp.dropouts here.
func lower(s *Step, training bool, dp *deviceProgram) (stepFunc, int, bool) {
	in, out := s.In, s.Out
	launches := func(build func(dp *deviceProgram) []cuda.Launch) stepFunc {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			ls := build(dp)
			return func(q launch.Queue) error {
				for _, l := range ls {
					if err := q.Launch(l); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	one := func(build func(dp *deviceProgram) cuda.Launch) stepFunc {
		return launches(func(dp *deviceProgram) []cuda.Launch { return []cuda.Launch{build(dp)} })
	}
	queue := func(fn func(dp *deviceProgram, q launch.Queue) error) stepFunc {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			return func(q launch.Queue) error { return fn(dp, q) }
		}
	}
	copyIn := func(src *Buffer) stepFunc {
		return one(func(dp *deviceProgram) cuda.Launch { return launch.Copy(dp.ptr(src), dp.ptr(out), out.Len()) })
	}
	n := out.Len()

	switch k := s.k.(type) {
	case copyKernel, flattenKernel:
		return copyIn(in[0]), 0, true
	case reshapeLikeKernel:
		return copyIn(in[1]), 0, true
	case addKernel:
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.Add(dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), n)
		}), 0, true

	case convKernel:
		cs := k.opt.convShape(in[0].Shape, in[1].Shape)
		group := launch.ConvGroup(cs, launch.ConvGroupBudget)
		var bias *Buffer
		if k.bias {
			bias = in[2]
		}
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			return launch.Conv2DForward(q, cs, group, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(bias), dp.ptr(out), dp.work)
		}), launch.Conv2DWorkspace(cs, group), true
	case convGradDataKernel:
		cs := k.opt.convShape(in[0].Shape, in[1].Shape)
		group := launch.ConvGroup(cs, launch.ConvGroupBudget)
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			return launch.Conv2DBackwardData(q, cs, group, dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out), dp.work)
		}), launch.Conv2DWorkspace(cs, group), true
	case convGradFilterKernel:
		cs := k.opt.convShape(in[0].Shape, out.Shape)
		group := launch.ConvGroup(cs, launch.ConvGroupBudget)
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			return launch.Conv2DBackwardFilter(q, cs, group, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), dp.work)
		}), launch.Conv2DWorkspace(cs, group), true

	case linearKernel:
		rows, nin, nout := in[0].Shape[0], in[0].Shape[1], in[1].Shape[0]
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			if err := launch.Gemm(q, false, true, rows, nout, nin, 1, dp.ptr(in[0]), nin, dp.ptr(in[1]), nin, 0, dp.ptr(out), nout); err != nil {
				return err
			}
			if !k.bias {
				return nil
			}
			return q.Launch(launch.BiasAddNCL(rows, nout, 1, dp.ptr(in[2]), dp.ptr(out)))
		}), 0, true
	case linearGradKernel:
		rows, nout, nin := in[1].Shape[0], in[1].Shape[1], in[0].Shape[1]
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			if k.wrt == "x" { // dx = dy·W
				return launch.Gemm(q, false, false, rows, nin, nout, 1, dp.ptr(in[1]), nout, dp.ptr(in[0]), nin, 0, dp.ptr(out), nin)
			}
			// dW = dyᵀ·x
			return launch.Gemm(q, true, false, nout, nin, rows, 1, dp.ptr(in[1]), nout, dp.ptr(in[0]), nin, 0, dp.ptr(out), nin)
		}), 0, true
	case biasGradKernel:
		bn, bc, bl := channels(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.BiasBackwardNCL(bn, bc, bl, dp.ptr(in[0]), dp.ptr(out))
		}), 0, true

	case bnStatsKernel:
		bn, bc, bl := channels(in[0].Shape)
		return launches(func(dp *deviceProgram) []cuda.Launch {
			mean, variance := dp.ptr(out), dp.ptr(out).F32(bc)
			if !training {
				return []cuda.Launch{launch.Copy(dp.ptr(in[1]), mean, bc), launch.Copy(dp.ptr(in[2]), variance, bc)}
			}
			return []cuda.Launch{
				launch.BatchNormStats(bn, bc, bl, dp.ptr(in[0]), mean, variance),
				launch.BatchNormUpdateRunning(bn*bl, float32(k.momentum), mean, variance, dp.ptr(in[1]), dp.ptr(in[2]), bc),
			}
		}), 0, true
	case bnKernel:
		bn, bc, bl := channels(in[0].Shape)
		var gamma, beta *Buffer
		if k.affine {
			gamma, beta = in[2], in[3]
		}
		return one(func(dp *deviceProgram) cuda.Launch {
			stats := dp.ptr(in[1])
			return launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(beta), stats, stats.F32(bc), float32(k.eps), dp.ptr(out))
		}), 0, true
	case bnSumsKernel:
		bn, bc, bl := channels(in[0].Shape)
		return launches(func(dp *deviceProgram) []cuda.Launch {
			stats := dp.ptr(in[1])
			return []cuda.Launch{
				launch.BatchNormInvStd(bc, stats.F32(bc), k.fwd.eps, dp.work),
				launch.BatchNormBackward(bn, bc, bl, dp.ptr(in[0]), 0, dp.ptr(in[2]), stats, dp.work, 0, dp.ptr(out), dp.ptr(out).F32(bc)),
			}
		}), bc, true
	case rowKernel:
		bc := in[0].Shape[1]
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.Copy(dp.ptr(in[0]).F32(k.row*bc), dp.ptr(out), bc)
		}), 0, true
	case bnGradKernel: // (x, stats, sums, dy, [γ]) → dx
		bn, bc, bl := channels(in[0].Shape)
		var gamma *Buffer
		if k.fwd.affine {
			gamma = in[4]
		}
		return launches(func(dp *deviceProgram) []cuda.Launch {
			stats := dp.ptr(in[1])
			mean, variance := stats, stats.F32(bc)
			if !training {
				return []cuda.Launch{launch.BatchNormBackwardEval(bn, bc, bl, dp.ptr(gamma), variance, float32(k.fwd.eps), dp.ptr(in[3]), dp.ptr(out))}
			}
			sums := dp.ptr(in[2]) // Σ dy·x̂ and Σ dy, from bnSumsKernel
			return []cuda.Launch{
				launch.BatchNormInvStd(bc, variance, k.fwd.eps, dp.work),
				launch.BatchNormBackwardData(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(in[3]), mean, dp.work, sums, sums.F32(bc), dp.ptr(out)),
			}
		}), bc, true

	case poolKernel:
		ps := k.opt.poolShape(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			if k.max {
				return launch.MaxPool2DForward(ps, dp.ptr(in[0]), dp.ptr(out))
			}
			return launch.AvgPool2DForward(ps, dp.ptr(in[0]), dp.ptr(out))
		}), 0, true
	case poolGradKernel:
		ps := k.fwd.opt.poolShape(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			if k.fwd.max {
				return launch.MaxPool2DBackward(ps, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))
			}
			return launch.AvgPool2DBackward(ps, dp.ptr(in[1]), dp.ptr(out))
		}), 0, true

	case activationKernel:
		slope := float32(k.slope)
		return one(func(dp *deviceProgram) cuda.Launch {
			x, y := dp.ptr(in[0]), dp.ptr(out)
			switch k.fn {
			case LeakyReLU:
				return launch.LeakyReluForward(slope, x, y, n)
			case Tanh:
				return launch.TanhForward(x, y, n)
			case Sigmoid:
				return launch.SigmoidForward(x, y, n)
			}
			return launch.ReluForward(x, y, n)
		}), 0, true
	case activationGradKernel:
		slope := float32(k.fwd.slope)
		return one(func(dp *deviceProgram) cuda.Launch {
			from, dy, dx := dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out)
			switch k.fwd.fn {
			case LeakyReLU:
				return launch.LeakyReluBackward(slope, from, dy, dx, n)
			case Tanh:
				return launch.TanhBackward(from, dy, dx, n)
			case Sigmoid:
				return launch.SigmoidBackward(from, dy, dx, n)
			}
			return launch.ReluBackward(from, dy, dx, n)
		}), 0, true

	case dropoutKernel:
		return lowerDropout(k, training, in[0], out, dp, launch.DropoutForward), 0, true
	case dropoutGradKernel:
		return lowerDropout(k.fwd, training, in[0], out, dp, launch.DropoutBackward), 0, true

	case mseKernel:
		count := in[0].Len()
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.MeanSquaredError(count, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))
		}), 0, true
	case mseGradKernel:
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.MeanSquaredErrorBackward(n, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out))
		}), 0, true
	case sceKernel:
		rows, classes := in[0].Shape[0], in[0].Shape[1]
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.SoftmaxCrossEntropyForward(rows, classes, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))
		}), 0, true
	case sceGradKernel:
		rows, classes := in[0].Shape[0], in[0].Shape[1]
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.SoftmaxCrossEntropyBackward(rows, classes, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out))
		}), 0, true
	}
	return nil, 0, false
}

// lowerDropout is a dropout step (forward or backward): the identity in
// evaluation or for p = 0, else the Philox mask with this step's seed, which
// Run uploads into the step's slot.
func lowerDropout(k dropoutKernel, training bool, x, y *Buffer, dp *deviceProgram,
	build func(seed cuda.Ptr, prob float32, x, y cuda.Ptr, n int) cuda.Launch) stepFunc {
	n := y.Len()
	if !training || k.p == 0 {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			l := launch.Copy(dp.ptr(x), dp.ptr(y), n)
			return func(q launch.Queue) error { return q.Launch(l) }
		}
	}
	slot := len(dp.dropouts)
	dp.dropouts = append(dp.dropouts, k)
	return func(dp *deviceProgram) func(q launch.Queue) error {
		l := build(dp.seeds.Add(int64(8*slot)), float32(k.p), dp.ptr(x), dp.ptr(y), n)
		return func(q launch.Queue) error { return q.Launch(l) }
	}
}
