package graph

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// The device backend runs an optimizer's UpdatePlan on the parameter region:
// its state slots are laid out like the region (launch.FlatLayout), in one
// allocation with the hyperparameter rows, the group table and the
// reductions' scratch. An update queues, after the training run that left
// the gradients:
//
//   - the NaN/±Inf check, a reduction over the plan's gradients into a flag
//     (a double, 0 when every gradient is finite) that stays on the device;
//   - the L1/L2 penalty gradients, one launch per penalized tensor;
//   - clipping by value, and by norm: a second reduction, whose total the
//     scaling kernel reads on the device;
//   - one launch of the fused kernel over the whole region, each group
//     reading its row of hyperparameters, uploaded per step; the kernel (and
//     the clamp) change nothing when the flag is set.
//
// Nothing comes down while these are queued; NonFinite then reads the flag
// (8 bytes). With UpdatePlan.Rows the launches are part of every training
// program, after its steps and inside its CUDA graph, and the flag comes down
// with the loss. Every launch is built when the plan is attached, so an update
// allocates nothing.

// deviceUpdate is an UpdatePlan prepared on a deviceBackend.
type deviceUpdate struct {
	b       *deviceBackend
	plan    UpdatePlan
	offset  [][]int    // element offset in the region of each group's parameters
	base    cuda.Ptr   // one allocation for everything below
	slots   []cuda.Ptr // one region per state slot
	hyperAt cuda.Ptr
	flag    cuda.Ptr  // the non-finite check's total, one double: 0 when all gradients are finite
	norm    cuda.Ptr  // the gradients' sum of squares, one double
	fetched []byte    // the flag's host copy: an allocation of its own, as cgo requires
	partial []float64 // scratch of the host's finiteness check

	launches  []cuda.Launch // check, penalties, clipping, the fused kernel, in order
	inProgram bool          // plan.Rows: the launches run inside every training run
	rows      []float32     // the rows of the coming step, in-program
	lastFlag  float64       // the flag after the last training run, in-program
}

// span is a contiguous range of the region holding parameters of the plan
// (and the zeros between them).
type span struct{ start, n int }

// AttachUpdate keeps the parameters resident and prepares plan's update on
// the device. Every parameter of its groups must be a trainable parameter of
// the backend's model.
func (b *deviceBackend) AttachUpdate(plan UpdatePlan) (DeviceUpdate, error) {
	if err := b.SetResident(true); err != nil {
		return nil, err
	}
	region := &b.region
	index := map[*Param]int{}
	for k, p := range region.Params {
		index[p] = k
	}
	groupOf := make([]int, len(region.Params))
	for k := range groupOf {
		groupOf[k] = -1
	}
	if plan.Rows != nil && (b.inProgram != nil || b.trainingPrepared()) {
		return nil, errors.New("an update inside the training runs is attached once, before the first training run")
	}
	u := &deviceUpdate{b: b, plan: plan, offset: make([][]int, len(plan.Groups)), fetched: make([]byte, 8),
		inProgram: plan.Rows != nil, rows: make([]float32, plan.RowLen*len(plan.Groups))}
	largest := 0
	for gi, g := range plan.Groups {
		for _, p := range g {
			k, ok := index[p]
			if !ok {
				return nil, fmt.Errorf("%s is not a trainable parameter of the %s backend's model", p.Name, b.Name())
			}
			groupOf[k] = gi
			u.offset[gi] = append(u.offset[gi], region.Offsets[k])
			largest = max(largest, p.Value.Len())
		}
	}
	u.partial = make([]float64, kernels.Chunks(largest, kernels.OptimGrain))
	sizes := make([]int, len(region.Params))
	for k, p := range region.Params {
		sizes[k] = p.Value.Len()
	}
	table := launch.GroupTable(region.Offsets, sizes, groupOf, region.Total)
	spans := updatedSpans(region.Offsets, sizes, groupOf)
	partials := 0
	for _, sp := range spans {
		partials += launch.ReducePartials(sp.n)
	}

	var layout cuda.Plan
	slotAt := make([]int64, plan.Slots)
	for i := range slotAt {
		slotAt[i] = layout.Reserve(int64(4 * region.Total))
	}
	hyperAt, tableAt := layout.Reserve(int64(4*plan.RowLen*len(plan.Groups))), layout.Reserve(int64(4*len(table)))
	partialAt, flagAt, normAt := layout.Reserve(int64(8*partials)), layout.Reserve(8), layout.Reserve(8)
	var err error
	if u.base, err = b.rt.Alloc(layout.Size()); err != nil {
		return nil, fmt.Errorf("allocating the optimizer state on the device: %w", err)
	}
	for _, at := range slotAt {
		u.slots = append(u.slots, u.base.Add(at))
	}
	u.hyperAt, u.flag, u.norm = u.base.Add(hyperAt), u.base.Add(flagAt), u.base.Add(normAt)
	tableBytes := make([]byte, 4*len(table))
	for i, g := range table {
		binary.LittleEndian.PutUint32(tableBytes[4*i:], uint32(g))
	}
	// The flag starts clear: NonFinite before any Update finds nothing.
	if err := errors.Join(b.rt.UploadBytes(u.base.Add(tableAt), tableBytes), b.rt.UploadBytes(u.flag, make([]byte, 8))); err != nil {
		return nil, errors.Join(fmt.Errorf("uploading the optimizer's group table: %w", err), b.rt.Free(u.base))
	}
	update, err := fusedLaunch(plan.Kernel, region.Values, region.Grads, u.slots, u.hyperAt, u.base.Add(tableAt), u.flag, region.Total)
	if err != nil {
		return nil, errors.Join(err, b.rt.Free(u.base))
	}

	grads, partial := region.Grads, u.base.Add(partialAt)
	reduction := func(op launch.Reduction, total cuda.Ptr) []cuda.Launch {
		var ls []cuda.Launch
		at := partial
		for _, sp := range spans {
			ls = append(ls, launch.ReduceChunks(grads.F32(sp.start), sp.n, op, at))
			at = at.Add(int64(8 * launch.ReducePartials(sp.n)))
		}
		return append(ls, launch.ReduceTotal(partial, partials, total))
	}
	if len(spans) > 0 { // else no parameters: nothing to launch
		u.launches = reduction(launch.NonFinite, u.flag)
		for _, pen := range plan.Penalties {
			k, ok := index[pen.Param]
			if !ok {
				return nil, errors.Join(fmt.Errorf("penalty on %s, not a trainable parameter of the model", pen.Param.Name), b.rt.Free(u.base))
			}
			at := region.Offsets[k]
			u.launches = append(u.launches, launch.PenaltyGrad(region.Values.F32(at), grads.F32(at), pen.L1, pen.L2, pen.Param.Value.Len()))
		}
		if plan.ClipValue > 0 {
			for _, sp := range spans {
				u.launches = append(u.launches, launch.GradClamp(grads.F32(sp.start), plan.ClipValue, u.flag, sp.n))
			}
		}
		if plan.ClipNorm > 0 {
			u.launches = append(u.launches, reduction(launch.SumSquares, u.norm)...)
			for _, sp := range spans {
				u.launches = append(u.launches, launch.ClipScale(grads.F32(sp.start), u.norm, plan.ClipNorm, sp.n))
			}
		}
		u.launches = append(u.launches, update)
	}
	b.updates = append(b.updates, u)
	if u.inProgram {
		b.inProgram = u
	}
	return u, nil
}

// fusedLaunch is the launch of kernel k over a region of n elements.
func fusedLaunch(k FusedKernel, w, g cuda.Ptr, slots []cuda.Ptr, hyper, group, skip cuda.Ptr, n int) (cuda.Launch, error) {
	args := make([]cuda.Ptr, len(k.SlotArgs))
	for i, s := range k.SlotArgs {
		switch {
		case s >= len(slots):
			return cuda.Launch{}, fmt.Errorf("fused kernel %s: state slot %d of %d", k.Name, s, len(slots))
		case s >= 0:
			args[i] = slots[s]
		}
	}
	want := map[string]int{"SGD": 1, "Adagrad": 1, "Adadelta": 2, "RMSProp": 3, "Adam": 3}[k.Name]
	if want == 0 || len(args) != want {
		return cuda.Launch{}, fmt.Errorf("no fused kernel %s with %d state buffers", k.Name, len(args))
	}
	switch k.Name {
	case "SGD":
		return launch.SGD(w, g, args[0], hyper, group, skip, n), nil
	case "Adagrad":
		return launch.Adagrad(w, g, args[0], hyper, group, skip, n), nil
	case "Adadelta":
		return launch.Adadelta(w, g, args[0], args[1], hyper, group, skip, n), nil
	case "RMSProp":
		return launch.RMSProp(w, g, args[0], args[1], args[2], hyper, group, skip, n), nil
	}
	return launch.Adam(w, g, args[0], args[1], args[2], hyper, group, skip, n), nil
}

// updatedSpans merges the tensors of the plan (group ≥ 0) that follow each
// other in the region into spans.
func updatedSpans(offsets, sizes, groupOf []int) []span {
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

// Update implements DeviceUpdate.
func (u *deviceUpdate) Update(rows []float32) error {
	if u.inProgram {
		return errors.New("the update runs inside the training runs")
	}
	if len(u.launches) == 0 {
		return nil
	}
	if err := u.b.rt.Upload(u.hyperAt, rows); err != nil {
		return fmt.Errorf("uploading the hyperparameters: %w", err)
	}
	return u.launch(u.launches)
}

// beforeRun uploads the rows of the coming step, for an update inside the
// training run.
func (u *deviceUpdate) beforeRun() error {
	u.plan.Rows(u.rows)
	if err := u.b.upload(u.hyperAt, u.rows); err != nil {
		return fmt.Errorf("uploading the hyperparameters: %w", err)
	}
	return nil
}

// NonFinite implements DeviceUpdate: it reads the flag, and only when it is
// set the gradients, to name the parameter.
func (u *deviceUpdate) NonFinite() (*Param, error) {
	if len(u.launches) == 0 {
		return nil, nil
	}
	flag := u.lastFlag // brought down with the training run's results
	if !u.inProgram {
		if err := u.b.rt.DownloadBytes(u.fetched, u.flag); err != nil {
			return nil, fmt.Errorf("reading the non-finite check: %w", err)
		}
		flag = math.Float64frombits(binary.LittleEndian.Uint64(u.fetched))
	}
	if flag == 0 {
		return nil, nil
	}
	grads := u.b.flat
	if err := u.b.rt.Download(grads, u.b.region.Grads); err != nil {
		return nil, fmt.Errorf("downloading the gradients: %w", err)
	}
	for gi, g := range u.plan.Groups {
		for pi, p := range g {
			at := u.offset[gi][pi]
			if !kernels.AllFinite(grads[at:at+p.Value.Len()], u.partial) {
				return p, nil
			}
		}
	}
	return nil, errors.New("the non-finite check on the device failed, yet every gradient is finite")
}

func (u *deviceUpdate) launch(ls []cuda.Launch) error {
	for i := range ls {
		if err := u.b.rt.Launch(ls[i]); err != nil {
			return fmt.Errorf("%s on the device: %w", ls[i].Kernel, err)
		}
	}
	return nil
}

// PushSlot implements DeviceUpdate.
func (u *deviceUpdate) PushSlot(slot int, of func(*Param) []float32) error {
	flat := u.b.flat
	clear(flat)
	for gi, g := range u.plan.Groups {
		for pi, p := range g {
			copy(flat[u.offset[gi][pi]:], of(p))
		}
	}
	return u.b.rt.Upload(u.slots[slot], flat)
}

// PullSlot implements DeviceUpdate.
func (u *deviceUpdate) PullSlot(slot int, of func(*Param) []float32) error {
	flat := u.b.flat
	if err := u.b.rt.Download(flat, u.slots[slot]); err != nil {
		return err
	}
	for gi, g := range u.plan.Groups {
		for pi, p := range g {
			copy(of(p), flat[u.offset[gi][pi]:])
		}
	}
	return nil
}
