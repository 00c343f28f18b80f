package solvers

import (
	"errors"
	"fmt"

	"github.com/descent-ml/descent/graph/param"
)

// On a device: OnDevice hands the optimizer's update to a param.Updater (a
// graph.ResidentBackend), which keeps the parameters on its device and owns
// the optimizer's state slots there, laid out like the parameters (see
// param.UpdatePlan). Step computes each group's row of hyperparameters for
// the coming step (learning rate from a schedule, Adam's bias correction) and
// has the backend queue the NaN/±Inf check, penalties, clipping and the
// algorithm's fused kernel, which the device skips when a gradient is not
// finite; then it asks whether it was skipped, and counts the step only if
// not. With OnDeviceInTraining the backend runs all that inside each training
// run instead, asking for the rows just before it. The optimizer's package
// describes the algorithm (its host update, its hyperparameter row, its fused
// kernel) and knows nothing of devices.

// deviceState is the optimizer's part on a device.
type deviceState struct {
	update    param.DeviceUpdate
	inProgram bool // the update runs inside each training run (OnDeviceInTraining)
	rowLen    int
	rows      []float32 // the hyperparameter rows, one per group, on the host
}

// OnDevice keeps b's parameters resident on its device (b is a
// graph.ResidentBackend: the CUDA backend) and moves the optimizer's state
// there; from then on Step updates the parameters on the
// device and State reads the state back. Every parameter of every group must
// be one of b's trainable float32 parameters, and the parameters of a group
// must be at the same step count (as they are unless restored otherwise).
func (o *Optimizer) OnDevice(b param.Updater) error { return o.onDevice(b, false) }

// OnDeviceInTraining is OnDevice with the update inside every training run
// of b, after the backward pass, in the same CUDA graph: forward, backward,
// the non-finite check and the update replay as one, and Step only reads
// whether the device skipped the update. The hyperparameters (the learning
// rate included) are those set when the training run starts, so a schedule
// steps after Step, as usual. Nothing may read or change the gradients
// between backward pass and update; attach before the first training run.
func (o *Optimizer) OnDeviceInTraining(b param.Updater) error { return o.onDevice(b, true) }

func (o *Optimizer) onDevice(b param.Updater, inProgram bool) error {
	if o.device != nil {
		return errors.New("solvers: the optimizer is already on a device")
	}
	plan := param.UpdatePlan{Kernel: o.algo.fused(), Slots: len(o.algo.slots()), Groups: make([][]*param.Param, len(o.groups)),
		ClipValue: o.settings.ClipGradValue, ClipNorm: o.settings.ClipGradNorm}
	plan.RowLen = len(o.algo.hyper(nil, 1, 0, 0))
	for gi, g := range o.groups {
		for _, s := range g.params {
			switch {
			case s.f32 == nil:
				return fmt.Errorf("solvers: %s is %v; the device optimizer updates float32 parameters", s.param.Name, s.param.Value.Dtype())
			case s.step != g.params[0].step:
				return fmt.Errorf("solvers: parameters of group %d are at different steps (%s %d, %s %d); the device optimizer steps a group as one",
					gi, g.params[0].param.Name, g.params[0].step, s.param.Name, s.step)
			}
			plan.Groups[gi] = append(plan.Groups[gi], s.param)
			if s.regularized && (g.reg.L1 != 0 || g.reg.L2 != 0) {
				plan.Penalties = append(plan.Penalties, param.Penalty{Param: s.param, L1: g.reg.L1, L2: g.reg.L2})
			}
		}
	}
	if inProgram {
		plan.Rows = o.nextRows
	}
	d := &deviceState{inProgram: inProgram, rowLen: plan.RowLen, rows: make([]float32, plan.RowLen*len(o.groups))}
	o.device = d // nextRows reads the row length
	u, err := b.AttachUpdate(plan)
	if err != nil {
		o.device = nil
		return fmt.Errorf("solvers: %w", err)
	}
	d.update = u
	if err := o.pushState(); err != nil {
		o.device = nil
		return fmt.Errorf("solvers: moving the optimizer state to the device: %w", err)
	}
	return nil
}

// stateOf returns the host buffer of slot i of each parameter.
func (o *Optimizer) stateOf(i int) func(*param.Param) []float32 {
	buffers := map[*param.Param][]float32{}
	for _, g := range o.groups {
		for _, s := range g.params {
			buffers[s.param] = s.buffers[i].F32
		}
	}
	return func(p *param.Param) []float32 { return buffers[p] }
}

// pushState uploads every group's state buffers into the device's slots.
func (o *Optimizer) pushState() error {
	for i, sl := range o.algo.slots() {
		if err := o.device.update.PushSlot(i, o.stateOf(i)); err != nil {
			return fmt.Errorf("uploading %s: %w", sl.name, err)
		}
	}
	return nil
}

// pullState downloads the device's slots into every group's state buffers.
func (o *Optimizer) pullState() error {
	for i, sl := range o.algo.slots() {
		if err := o.device.update.PullSlot(i, o.stateOf(i)); err != nil {
			return fmt.Errorf("solvers: downloading %s: %w", sl.name, err)
		}
	}
	return nil
}

// nextRows fills dst with each group's row of hyperparameters for the coming
// step (the groups' step counts plus one).
func (o *Optimizer) nextRows(dst []float32) {
	n := o.device.rowLen
	for gi, g := range o.groups {
		step := int64(1)
		if len(g.params) > 0 {
			step = g.params[0].step + 1
		}
		o.algo.hyper(dst[gi*n:gi*n], step, g.lr, g.weightDecay)
	}
}

// stepOnDevice is Step on the device; see the top of this file. The step
// counts advance only when the device took the step.
func (o *Optimizer) stepOnDevice() error {
	d := o.device
	if !d.inProgram {
		o.nextRows(d.rows)
		if err := d.update.Update(d.rows); err != nil {
			return fmt.Errorf("solvers: %w", err)
		}
	}
	bad, err := d.update.NonFinite()
	switch {
	case err != nil:
		return fmt.Errorf("solvers: %w", err)
	case bad != nil:
		return &NonFiniteError{Param: bad.Name, Skipped: o.settings.SkipNonFinite}
	}
	for _, g := range o.groups {
		for _, s := range g.params {
			s.step++
		}
	}
	return nil
}
