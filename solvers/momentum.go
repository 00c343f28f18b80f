package solvers

import "fmt"

// Momentum returns the momentum that a schedule may cycle, as
// torch.optim.lr_scheduler.OneCycleLR does: SGD's and RMSProp's momentum,
// Adam's and AdamW's β1. It is false for the other algorithms.
func (o *Optimizer) Momentum() (float64, bool) {
	switch h := o.algo.(type) {
	case SGD:
		return h.Momentum, true
	case RMSProp:
		return h.Momentum, true
	case Adam:
		return h.Betas[0], true
	case AdamW:
		return h.Betas[0], true
	}
	return 0, false
}

// SetMomentum sets the momentum Momentum reports, for every group (Descent's
// momentum is the optimizer's, not a group's). SGD and RMSProp keep a momentum
// buffer only when built with momentum > 0, so they need momentum > 0 before
// and after; an algorithm without momentum, or a value out of range, is an
// error and changes nothing.
func (o *Optimizer) SetMomentum(m float64) error {
	var algo Algorithm
	var current float64 // SGD's and RMSProp's momentum, which decides their buffer
	switch h := o.algo.(type) {
	case SGD:
		current = h.Momentum
		h.Momentum = m
		algo = h
	case RMSProp:
		current = h.Momentum
		h.Momentum = m
		algo = h
	case Adam:
		h.Betas[0] = m
		algo = h
	case AdamW:
		h.Betas[0] = m
		algo = h
	default:
		return fmt.Errorf("solvers: %s has no momentum to cycle", o.algo.Name())
	}
	switch name := o.algo.Name(); {
	case name != "sgd" && name != "rmsprop":
	case current == 0:
		return fmt.Errorf("solvers: %s was built with momentum 0 and so keeps no momentum buffer: build it with momentum > 0 to cycle momentum", name)
	case m == 0:
		return fmt.Errorf("solvers: %s: momentum 0 would drop its momentum buffer: a cycled momentum must stay > 0", name)
	}
	if err := algo.validate(); err != nil {
		return err
	}
	o.algo = algo
	return nil
}

// momentumGroups is LRGroups whose momentum a schedule can cycle: *Optimizer.
type momentumGroups interface {
	LRGroups
	Momentum() (float64, bool)
	SetMomentum(m float64) error
}
