package solvers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// On a device: OnDevice keeps the parameters of a graph.ResidentBackend on its
// device and moves the optimizer's state there, laid out as the backend's
// graph.ParamRegion. Step then queues, on that device and after the training
// run that left the gradients:
//
//   - the NaN/±Inf check, a reduction over the optimizer's gradients whose one
//     double comes down (the step's only transfer besides the hyperparameter
//     rows going up);
//   - the L1/L2 penalty gradients, one launch per regularized tensor;
//   - clipping by value, and by norm (a second reduction and double);
//   - one launch of the algorithm's fused kernel over the whole region, each
//     parameter group reading its row of hyperparameters, which the host
//     recomputes every step (learning rate from a schedule, Adam's bias
//     correction).
//
// Every launch is built once in OnDevice, so a step allocates nothing.
// Parameters of the region that belong to no group are left alone.

// deviceState is the optimizer's state and prepared launches on a device.
type deviceState struct {
	backend graph.ResidentBackend
	region  graph.ParamRegion
	dev     launch.Device
	base    cuda.Ptr   // one allocation for everything below
	slots   []cuda.Ptr // one region per slot of the algorithm
	offset  [][]int    // element offset in the region of each group's parameters
	rowLen  int
	rows    []float32 // the hyperparameter rows, one per group, on the host
	hyperAt cuda.Ptr
	total   cuda.Ptr // the result of a reduction, one double
	fetched []byte   // receives total; its own allocation, as cgo's pointer check requires

	finite, sumSquares []cuda.Launch // reductions over the spans, then their total
	penalty            []cuda.Launch
	clamp, scale       []cuda.Launch // per span; scale's factor is set per step
	update             cuda.Launch
}

// span is a contiguous range of the region holding parameters of the
// optimizer (and the zeros between them).
type span struct{ start, n int }

// OnDevice keeps b's parameters resident on its device and moves the
// optimizer's state there; from then on Step updates the parameters on the
// device and State reads the state back. Every parameter of every group must
// be one of b's trainable float32 parameters, and the parameters of a group
// must be at the same step count (as they are unless restored otherwise).
func (o *Optimizer) OnDevice(b graph.ResidentBackend) error {
	if o.device != nil {
		return errors.New("solvers: the optimizer is already on a device")
	}
	if err := b.SetResident(true); err != nil {
		return err
	}
	region, err := b.ParamRegion()
	if err != nil {
		return err
	}
	index := map[*graph.Param]int{}
	for k, p := range region.Params {
		index[p] = k
	}
	groupOf := make([]int, len(region.Params))
	for k := range groupOf {
		groupOf[k] = -1
	}
	d := &deviceState{backend: b, region: region, dev: region.Device, offset: make([][]int, len(o.groups))}
	for gi, g := range o.groups {
		for _, s := range g.params {
			k, ok := index[s.param]
			switch {
			case !ok:
				return fmt.Errorf("solvers: %s is not a trainable parameter of the %s backend's model", s.param.Name, b.Name())
			case s.f32 == nil:
				return fmt.Errorf("solvers: %s is %v; the device optimizer updates float32 parameters", s.param.Name, s.param.Value.Dtype())
			case s.step != g.params[0].step:
				return fmt.Errorf("solvers: parameters of group %d are at different steps (%s %d, %s %d); the device optimizer steps a group as one",
					gi, g.params[0].param.Name, g.params[0].step, s.param.Name, s.step)
			}
			groupOf[k] = gi
			d.offset[gi] = append(d.offset[gi], region.Offsets[k])
		}
	}
	sizes := make([]int, len(region.Params))
	for k, p := range region.Params {
		sizes[k] = p.Value.Len()
	}
	table := launch.GroupTable(region.Offsets, sizes, groupOf, region.Total)
	spans := optimizedSpans(region.Offsets, sizes, groupOf)
	partials := 0
	for _, sp := range spans {
		partials += launch.ReducePartials(sp.n)
	}
	d.rowLen = len(o.algo.hyper(nil, 1, 0, 0))
	d.rows = make([]float32, d.rowLen*len(o.groups))

	var plan cuda.Plan
	slotAt := make([]int64, len(o.algo.slots()))
	for i := range slotAt {
		slotAt[i] = plan.Reserve(int64(4 * region.Total))
	}
	hyperAt, tableAt := plan.Reserve(int64(4*len(d.rows))), plan.Reserve(int64(4*len(table)))
	partialAt, totalAt := plan.Reserve(int64(8*partials)), plan.Reserve(8)
	if d.base, err = d.dev.Alloc(plan.Size()); err != nil {
		return fmt.Errorf("solvers: allocating the optimizer state on the device: %w", err)
	}
	for _, at := range slotAt {
		d.slots = append(d.slots, d.base.Add(at))
	}
	d.hyperAt, d.total, d.fetched = d.base.Add(hyperAt), d.base.Add(totalAt), make([]byte, 8)
	tableBytes := make([]byte, 4*len(table))
	for i, g := range table {
		binary.LittleEndian.PutUint32(tableBytes[4*i:], uint32(g))
	}
	o.device = d
	if err := errors.Join(d.dev.UploadBytes(d.base.Add(tableAt), tableBytes), o.pushState()); err != nil {
		o.device = nil
		return errors.Join(fmt.Errorf("solvers: moving the optimizer state to the device: %w", err), d.dev.Free(d.base))
	}

	grads, partial := region.Grads, d.base.Add(partialAt)
	reduction := func(op launch.Reduction) []cuda.Launch {
		var ls []cuda.Launch
		at := partial
		for _, sp := range spans {
			ls = append(ls, launch.ReduceChunks(grads.F32(sp.start), sp.n, op, at))
			at = at.Add(int64(8 * launch.ReducePartials(sp.n)))
		}
		return append(ls, launch.ReduceTotal(partial, partials, d.total))
	}
	d.finite, d.sumSquares = reduction(launch.NonFinite), reduction(launch.SumSquares)
	for _, sp := range spans {
		d.clamp = append(d.clamp, launch.GradClamp(grads.F32(sp.start), o.settings.ClipGradValue, sp.n))
		d.scale = append(d.scale, launch.GradScale(grads.F32(sp.start), 1, sp.n))
	}
	for gi, g := range o.groups {
		if g.reg.L1 == 0 && g.reg.L2 == 0 {
			continue
		}
		for pi, s := range g.params {
			if at := d.offset[gi][pi]; s.regularized {
				d.penalty = append(d.penalty, launch.PenaltyGrad(region.Values.F32(at), grads.F32(at), g.reg.L1, g.reg.L2, s.n))
			}
		}
	}
	d.update = o.algo.fused(region.Values, grads, d.slots, d.hyperAt, d.base.Add(tableAt), region.Total)
	return nil
}

// optimizedSpans merges the tensors of the optimizer (group ≥ 0) that follow
// each other in the region into spans.
func optimizedSpans(offsets, sizes, groupOf []int) []span {
	var spans []span
	joined := false // the last tensor seen belongs to the last span
	for k, off := range offsets {
		switch {
		case groupOf[k] < 0:
			joined = false
		case sizes[k] == 0:
		case joined:
			last := &spans[len(spans)-1]
			last.n = off + sizes[k] - last.start
		default:
			spans = append(spans, span{off, sizes[k]})
			joined = true
		}
	}
	return spans
}

// OnHost brings the optimizer's state back from the device and frees it
// there; Step updates the host's parameters again. The backend keeps its
// parameters resident: PullParams brings them back, SetResident(false) hands
// them to the host for good.
func (o *Optimizer) OnHost() error {
	d := o.device
	if d == nil {
		return nil
	}
	if err := o.pullState(); err != nil {
		return err
	}
	o.device = nil
	return d.dev.Free(d.base)
}

// pushState uploads every group's state buffers into the device's slots.
func (o *Optimizer) pushState() error {
	d := o.device
	flat := make([]float32, d.region.Total)
	for i, slot := range d.slots {
		clear(flat)
		for gi, g := range o.groups {
			for pi, s := range g.params {
				copy(flat[d.offset[gi][pi]:], s.buffers[i].F32)
			}
		}
		if err := d.dev.Upload(slot, flat); err != nil {
			return fmt.Errorf("uploading %s: %w", o.algo.slots()[i].name, err)
		}
	}
	return nil
}

// pullState downloads the device's slots into every group's state buffers.
func (o *Optimizer) pullState() error {
	d := o.device
	flat := make([]float32, d.region.Total)
	for i, slot := range d.slots {
		if err := d.dev.Download(flat, slot); err != nil {
			return fmt.Errorf("solvers: downloading %s: %w", o.algo.slots()[i].name, err)
		}
		for gi, g := range o.groups {
			for pi, s := range g.params {
				copy(s.buffers[i].F32, flat[d.offset[gi][pi]:])
			}
		}
	}
	return nil
}

// stepOnDevice is Step on the device; see the top of this file.
func (o *Optimizer) stepOnDevice() error {
	d := o.device
	if len(d.scale) == 0 { // no parameters
		return nil
	}
	if bad, err := d.reduce(d.finite); err != nil {
		return err
	} else if bad != 0 {
		return o.nonFiniteOnDevice()
	}
	if err := d.launch(d.penalty); err != nil {
		return err
	}
	if o.settings.ClipGradValue > 0 {
		if err := d.launch(d.clamp); err != nil {
			return err
		}
	}
	if maxNorm := o.settings.ClipGradNorm; maxNorm > 0 {
		sum, err := d.reduce(d.sumSquares)
		if err != nil {
			return err
		}
		if coef := maxNorm / (math.Sqrt(sum) + 1e-6); coef < 1 {
			for i := range d.scale {
				d.scale[i].Args[1] = cuda.F32Arg(float32(coef))
			}
			if err := d.launch(d.scale); err != nil {
				return err
			}
		}
	}
	for gi, g := range o.groups {
		step := int64(1)
		for _, s := range g.params {
			s.step++
			step = s.step
		}
		o.algo.hyper(d.rows[gi*d.rowLen:gi*d.rowLen], step, g.lr, g.weightDecay)
	}
	if err := d.dev.Upload(d.hyperAt, d.rows); err != nil {
		return fmt.Errorf("solvers: uploading the hyperparameters: %w", err)
	}
	return d.launch([]cuda.Launch{d.update})
}

func (d *deviceState) launch(ls []cuda.Launch) error {
	for _, l := range ls {
		if err := d.dev.Launch(l); err != nil {
			return fmt.Errorf("solvers: %s on the device: %w", l.Kernel, err)
		}
	}
	return nil
}

// reduce runs a reduction and reads its total.
func (d *deviceState) reduce(ls []cuda.Launch) (float64, error) {
	if err := d.launch(ls); err != nil {
		return 0, err
	}
	if err := d.dev.DownloadBytes(d.fetched, d.total); err != nil {
		return 0, fmt.Errorf("solvers: reading a gradient reduction: %w", err)
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(d.fetched[:])), nil
}

// nonFiniteOnDevice names the first parameter, in group order, whose gradient
// on the device holds NaN or ±Inf.
func (o *Optimizer) nonFiniteOnDevice() error {
	d := o.device
	grads := make([]float32, d.region.Total)
	if err := d.dev.Download(grads, d.region.Grads); err != nil {
		return fmt.Errorf("solvers: downloading the gradients: %w", err)
	}
	for gi, g := range o.groups {
		for pi, s := range g.params {
			at := d.offset[gi][pi]
			if !kernels.AllFinite(grads[at:at+s.n], o.partial) {
				return &NonFiniteError{Param: s.param.Name, Skipped: o.settings.SkipNonFinite}
			}
		}
	}
	return errors.New("solvers: a gradient reduction on the device is not finite, yet every gradient is")
}
