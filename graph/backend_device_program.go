package graph

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// The program arena: each program gets one arena for its activations,
// inputs, constants, dropout seeds and scratch, laid out by a cuda.Plan from
// the storage slots compile recorded (Program.storage, slotSizes), the plan
// the CPU runs on too, and its steps lowered once.

// deviceProgram is a Program prepared for the device: addresses of all its
// buffers and its steps lowered to one flat list of commands.
type deviceProgram struct {
	base     cuda.Ptr             // the program's arena
	addr     map[*Buffer]cuda.Ptr // each buffer of the plan (Program.storage) → device address
	input    cuda.Ptr             // the batch, uploaded on each run
	labels   cuda.Ptr
	seeds    cuda.Ptr // one uint64 per dropout step, uploaded on each training run
	dropouts []dropoutKernel
	seedHost []byte // the seeds' host copy
	work     cuda.Ptr
	commands []command // the steps, lowered, in order
	stepOf   []int     // the step of each command, for errors
	// results holds the loss (float32) and the count of right predictions
	// (int32), written by the epilogue launches after the steps.
	results  cuda.Ptr
	epilogue []cuda.Launch
	counts   bool          // a classifier with labels: the epilogue counts right predictions
	update   *deviceUpdate // the optimizer's update, run after the steps (training programs)
	fetched  []byte        // the results' host copy: an allocation of its own, as cgo requires
	onHost   bool          // some step falls back to its CPU kernel: no graph capture
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
	return dp.addr[b]
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
	dp := &deviceProgram{p: p, addr: map[*Buffer]cuda.Ptr{}, fetched: make([]byte, 8)}
	if p.Training && b.inProgram != nil {
		dp.update, dp.fetched = b.inProgram, make([]byte, 16) // and the non-finite flag
	}
	var plan cuda.Plan
	for _, s := range p.Steps {
		for _, buf := range append([]*Buffer{s.Out}, s.In...) {
			if n := ShapeSize(buf.Shape); n > math.MaxInt32 {
				return nil, fmt.Errorf("%s: a tensor of %v (%d elements) exceeds the CUDA kernels' limit of 2³¹−1 elements", s.Name, buf.Shape, n)
			}
			if _, ok := p.storage[buf]; !ok && buf != p.Input && buf != p.Labels {
				return nil, fmt.Errorf("%s: a buffer without storage in the program's plan", s.Name)
			}
		}
	}
	// The compiler's plan: one region per storage slot, as on the host.
	slotAt := make([]int64, len(p.slotSizes))
	for i, n := range p.slotSizes {
		slotAt[i] = plan.Reserve(int64(4 * n))
	}
	var input, labels int64
	if p.Input != nil {
		input = plan.Reserve(int64(4 * ShapeSize(p.Input.Shape)))
	}
	if p.Labels != nil {
		labels = plan.Reserve(int64(4 * ShapeSize(p.Labels.Shape)))
	}

	// The steps' scratch and seeds are laid out after the buffers.
	work, dropouts := 0, 0
	for i := range p.Steps {
		work = max(work, scratch(&p.Steps[i]))
		if k, ok := dropoutOf(&p.Steps[i]); ok && seeded(k, p.Training) {
			dropouts++
		}
	}
	seeds := plan.Reserve(int64(8 * dropouts))
	results := plan.Reserve(int64(len(dp.fetched)))
	workOff := plan.Reserve(int64(4 * work))

	base, err := b.rt.Alloc(plan.Size())
	if err != nil {
		return nil, fmt.Errorf("allocating %d bytes for the program: %w", plan.Size(), err)
	}
	dp.base, dp.input, dp.labels, dp.seeds, dp.work = base, base.Add(input), base.Add(labels), base.Add(seeds), base.Add(workOff)
	dp.results, dp.seedHost = base.Add(results), make([]byte, 8*dropouts)
	for buf, st := range p.storage {
		switch {
		case st.slot >= 0:
			dp.addr[buf] = base.Add(slotAt[st.slot])
		case st.gradient:
			dp.addr[buf] = b.params[st.param.Grad]
		default:
			dp.addr[buf] = b.params[st.param.Value]
		}
	}
	for i := range p.Steps {
		cmds, ok := lower(&p.Steps[i], p.Training, dp)
		if !ok {
			cmds, dp.onHost = []command{b.onHost(&p.Steps[i], p, dp)}, true
		}
		for _, c := range cmds {
			dp.commands, dp.stepOf = append(dp.commands, c), append(dp.stepOf, i)
		}
	}
	dp.epilogue = []cuda.Launch{launch.Copy(dp.results, dp.ptr(p.Loss), 1)}
	dp.counts = !b.model.Regression && p.Labels != nil && len(p.Logits.Shape) == 2
	if dp.counts {
		dp.epilogue = append(dp.epilogue, launch.CountCorrect(p.Logits.Shape[0], p.Logits.Shape[1], dp.ptr(p.Logits), dp.labels, len(p.Labels.Shape) == 2, dp.results.Add(4)))
	}
	if dp.update != nil { // the flag, a double, copied as two floats
		dp.epilogue = append(dp.epilogue, launch.Copy(dp.results.Add(8), dp.update.flag, 2))
	}
	for buf, st := range p.storage { // constants go up once
		if !st.constant {
			continue
		}
		if err := b.rt.Upload(dp.addr[buf], buf.F32); err != nil {
			b.rt.Free(base)
			return nil, fmt.Errorf("uploading a constant: %w", err)
		}
	}
	b.programs[p] = dp
	return dp, nil
}

// onHost runs a step without a CUDA twin on its CPU kernel: its inputs come
// down, its output goes up. It is correct and slow; a warning names the op once.
func (b *deviceBackend) onHost(s *Step, p *Program, dp *deviceProgram) command {
	b.warnOnce("host "+s.Name, "cuda: %s has no CUDA kernel: it runs on the CPU, with copies to and from the device", s.Name)
	return hostStep{b, s, p, dp}
}

// hostStep is a step run on its CPU kernel.
type hostStep struct {
	b  *deviceBackend
	s  *Step
	p  *Program
	dp *deviceProgram
}

func (h hostStep) queue(launch.Queue) error {
	for _, in := range h.s.In {
		if in == h.p.Input || in == h.p.Labels {
			continue
		}
		if err := h.b.rt.Download(in.F32, h.dp.ptr(in)); err != nil {
			return err
		}
	}
	ctx := &execContext{training: h.p.Training, work: h.p.Workspace}
	if err := h.s.k.exec(ctx, h.s.In, h.s.Out); err != nil {
		return err
	}
	return h.b.rt.Upload(h.dp.ptr(h.s.Out), h.s.Out.F32)
}

// trainingPrepared reports whether a training program has been prepared.
func (b *deviceBackend) trainingPrepared() bool {
	for p := range b.programs {
		if p.Training {
			return true
		}
	}
	return false
}
