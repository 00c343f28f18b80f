package solvers

import (
	"fmt"
	"math"
	"slices"
)

// decay is a time-based schedule in PyTorch 1.13's recursive ("chainable")
// form: the rate at each epoch is computed from the rate at the previous one,
// as get_lr does, so its rounding matches PyTorch's step by step.
type decay struct {
	typ    string
	groups LRGroups
	base   []float64
	lrs    []float64
	epoch  int
	// next is the rate at epoch ≥ 1 from the group's base rate and last rate.
	next func(epoch int, base, last float64) float64
}

func newDecay(typ string, groups LRGroups, next func(epoch int, base, last float64) float64) *decay {
	base := baseLRs(groups)
	return &decay{typ: typ, groups: groups, base: base, lrs: slices.Clone(base), next: next}
}

func (d *decay) Step(float64) {
	d.epoch++
	for g := range d.lrs {
		d.lrs[g] = d.next(d.epoch, d.base[g], d.lrs[g])
	}
	setLRs(d.groups, d.lrs)
}

func (d *decay) LRs() []float64 { return slices.Clone(d.lrs) }

func (d *decay) State() ScheduleState {
	return ScheduleState{Type: d.typ, Epoch: d.epoch, BaseLRs: slices.Clone(d.base), LRs: slices.Clone(d.lrs)}
}

func (d *decay) SetState(st ScheduleState) error {
	if err := checkScheduleState(st, d.typ, len(d.lrs)); err != nil {
		return err
	}
	d.epoch = st.Epoch
	copy(d.base, st.BaseLRs)
	copy(d.lrs, st.LRs)
	setLRs(d.groups, d.lrs)
	return nil
}

// NewStepLR is torch.optim.lr_scheduler.StepLR: the rate is multiplied by gamma
// every stepSize epochs.
func NewStepLR(groups LRGroups, stepSize int, gamma float64) (Schedule, error) {
	c := checker{what: "StepLR"}
	if stepSize < 1 {
		c.fail("step_size", stepSize, "must be ≥ 1")
	}
	c.above("gamma", gamma, 0)
	if c.err != nil {
		return nil, c.err
	}
	return newDecay("StepLR", groups, func(epoch int, _, last float64) float64 {
		if epoch%stepSize != 0 {
			return last
		}
		return last * gamma
	}), nil
}

// NewMultiStepLR is torch.optim.lr_scheduler.MultiStepLR: the rate is multiplied
// by gamma at each milestone epoch (by gamma^k at a milestone listed k times).
func NewMultiStepLR(groups LRGroups, milestones []int, gamma float64) (Schedule, error) {
	c := checker{what: "MultiStepLR"}
	count := map[int]int{}
	for _, m := range milestones {
		if m < 1 {
			c.fail("milestones", milestones, fmt.Sprintf("milestone %d must be ≥ 1", m))
		}
		count[m]++
	}
	c.above("gamma", gamma, 0)
	if c.err != nil {
		return nil, c.err
	}
	return newDecay("MultiStepLR", groups, func(epoch int, _, last float64) float64 {
		k, ok := count[epoch]
		if !ok {
			return last
		}
		return last * math.Pow(gamma, float64(k))
	}), nil
}

// NewExponentialLR is torch.optim.lr_scheduler.ExponentialLR: the rate is
// multiplied by gamma every epoch.
func NewExponentialLR(groups LRGroups, gamma float64) (Schedule, error) {
	c := checker{what: "ExponentialLR"}
	c.above("gamma", gamma, 0)
	if c.err != nil {
		return nil, c.err
	}
	return newDecay("ExponentialLR", groups, func(_ int, _, last float64) float64 { return last * gamma }), nil
}

// NewCosineAnnealingLR is torch.optim.lr_scheduler.CosineAnnealingLR without
// restarts: from the base rate η_max the rate follows
// η_t = η_min + (η_max − η_min)·(1 + cos(π·t/T_max))/2 down to etaMin at
// tMax and, as in PyTorch, back up over the next tMax epochs if stepped on.
// It uses PyTorch 1.13's recursive form (each rate from the previous one), not
// the closed form above, which agrees up to rounding.
func NewCosineAnnealingLR(groups LRGroups, tMax int, etaMin float64) (Schedule, error) {
	c := checker{what: "CosineAnnealingLR"}
	if tMax < 1 {
		c.fail("T_max", tMax, "must be ≥ 1")
	}
	c.atLeast("eta_min", etaMin, 0)
	if c.err != nil {
		return nil, c.err
	}
	T := float64(tMax)
	return newDecay("CosineAnnealingLR", groups, func(epoch int, base, last float64) float64 {
		t := float64(epoch)
		if (epoch-1-tMax)%(2*tMax) == 0 {
			// The step after a trough, where the ratio below would divide by zero.
			return last + (base-etaMin)*(1-math.Cos(math.Pi/T))/2
		}
		return (1+math.Cos(math.Pi*t/T))/(1+math.Cos(math.Pi*(t-1)/T))*(last-etaMin) + etaMin
	}), nil
}
