package solvers

import (
	"errors"
	"fmt"

	"github.com/descent-ml/descent/graph/param"
)

// On a device: OnDevice hands the optimizer's update to a
// param.Updater, which keeps the parameters on its device and owns the
// optimizer's state slots there, laid out like the parameters (see
// param.UpdatePlan). Step then asks the backend for the NaN/±Inf check, and
// if every gradient is finite, computes each group's row of hyperparameters
// (learning rate from a schedule, Adam's bias correction) and has the backend
// run penalties, clipping and the algorithm's fused kernel. The optimizer's
// package describes the algorithm (its host update, its hyperparameter row,
// its fused kernel) and knows nothing of devices.

// deviceState is the optimizer's part on a device.
type deviceState struct {
	update param.DeviceUpdate
	rowLen int
	rows   []float32 // the hyperparameter rows, one per group, on the host
}

// OnDevice keeps b's parameters resident on its device (b is a
// graph.ResidentBackend: the CUDA backend) and moves the optimizer's state
// there; from then on Step updates the parameters on the
// device and State reads the state back. Every parameter of every group must
// be one of b's trainable float32 parameters, and the parameters of a group
// must be at the same step count (as they are unless restored otherwise).
func (o *Optimizer) OnDevice(b param.Updater) error {
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
	u, err := b.AttachUpdate(plan)
	if err != nil {
		return fmt.Errorf("solvers: %w", err)
	}
	o.device = &deviceState{update: u, rowLen: plan.RowLen, rows: make([]float32, plan.RowLen*len(o.groups))}
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

// stepOnDevice is Step on the device; see the top of this file.
func (o *Optimizer) stepOnDevice() error {
	d := o.device
	for gi, g := range o.groups {
		step := int64(1)
		for _, s := range g.params {
			s.step++
			step = s.step
		}
		o.algo.hyper(d.rows[gi*d.rowLen:gi*d.rowLen], step, g.lr, g.weightDecay)
	}
	if err := d.update.Update(d.rows); err != nil {
		return fmt.Errorf("solvers: %w", err)
	}
	bad, err := d.update.NonFinite()
	if err == nil && bad == nil {
		return nil
	}
	for _, g := range o.groups { // the device took no step
		for _, s := range g.params {
			s.step--
		}
	}
	if err != nil {
		return fmt.Errorf("solvers: %w", err)
	}
	return &NonFiniteError{Param: bad.Name, Skipped: o.settings.SkipNonFinite}
}
