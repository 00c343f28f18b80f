package solvers

import (
	"fmt"
	"math"
	"slices"
)

// OneCycle holds torch.optim.lr_scheduler.OneCycleLR's options.
type OneCycle struct {
	MaxLR          []float64 // max_lr: one peak rate for all groups, or one per group
	TotalSteps     int       // total_steps: the number of Steps the cycle lasts
	PctStart       float64   // pct_start: the share of steps spent rising, in [0, 1]
	AnnealStrategy string    // anneal_strategy: "cos" or "linear"
	CycleMomentum  bool      // cycle_momentum: momentum (or Adam's β1) moves against the rate
	BaseMomentum   float64   // base_momentum: the momentum at the peak rate
	MaxMomentum    float64   // max_momentum: the momentum at the start and end
	DivFactor      float64   // div_factor: the initial rate is max_lr/div_factor
	FinalDivFactor float64   // final_div_factor: the last rate is initial/final_div_factor
	ThreePhase     bool      // three_phase: fall back to the initial rate before the final annihilation
}

// DefaultOneCycle returns OneCycleLR's defaults for a peak rate and length.
func DefaultOneCycle(maxLR float64, totalSteps int) OneCycle {
	return OneCycle{MaxLR: []float64{maxLR}, TotalSteps: totalSteps, PctStart: 0.3, AnnealStrategy: "cos",
		CycleMomentum: true, BaseMomentum: 0.85, MaxMomentum: 0.95, DivFactor: 25, FinalDivFactor: 1e4}
}

func readOneCycle(r *optionReader) OneCycle {
	o := DefaultOneCycle(0, 0)
	o.MaxLR = r.floats("max_lr", nil)
	if !r.has("max_lr") {
		r.fail("option max_lr is required")
	}
	o.TotalSteps = r.int("total_steps", 0)
	if !r.has("total_steps") {
		epochs, perEpoch := r.int("epochs", 0), r.int("steps_per_epoch", 0)
		if !r.has("epochs") || !r.has("steps_per_epoch") {
			r.fail("option total_steps, or epochs and steps_per_epoch, is required")
		}
		if epochs < 1 || perEpoch < 1 {
			r.fail("options epochs %d and steps_per_epoch %d: want both ≥ 1", epochs, perEpoch)
		}
		o.TotalSteps = epochs * perEpoch
	}
	o.PctStart = r.float("pct_start", o.PctStart)
	o.AnnealStrategy = r.string("anneal_strategy", o.AnnealStrategy)
	o.CycleMomentum = r.bool("cycle_momentum", o.CycleMomentum)
	o.BaseMomentum = r.float("base_momentum", o.BaseMomentum)
	o.MaxMomentum = r.float("max_momentum", o.MaxMomentum)
	o.DivFactor = r.float("div_factor", o.DivFactor)
	o.FinalDivFactor = r.float("final_div_factor", o.FinalDivFactor)
	o.ThreePhase = r.bool("three_phase", o.ThreePhase)
	return o
}

// phase is one stretch of the cycle: rate and momentum move from start to end
// (indices into the per-group rates: 0 initial, 1 peak, 2 final) until step end.
type phase struct {
	end              float64
	startLR, endLR   int
	startMom, endMom float64
}

// oneCycle is OneCycleLR.
type oneCycle struct {
	OneCycle
	groups LRGroups
	mom    momentumGroups // nil unless CycleMomentum
	rates  [][3]float64   // per group: initial, peak and final rate
	phases []phase
	anneal func(start, end, pct float64) float64
	base   []float64
	lrs    []float64
	epoch  int
}

// NewOneCycleLR is torch.optim.lr_scheduler.OneCycleLR: over o.TotalSteps
// Steps (one per optimizer step, as PyTorch's recipes step it) the rate rises
// from max_lr/div_factor to max_lr and anneals to
// max_lr/(div_factor·final_div_factor), by cosine or linearly; with
// CycleMomentum, SGD's momentum (or Adam's β1) moves the opposite way between
// max_momentum and base_momentum. The optimizer's own rate is replaced by the
// initial rate, as in PyTorch. Steps past TotalSteps keep the last rate and
// momentum (PyTorch raises an error instead).
func NewOneCycleLR(groups LRGroups, o OneCycle) (Schedule, error) {
	n := groups.NumGroups()
	c := checker{what: "OneCycleLR"}
	if len(o.MaxLR) != 1 && len(o.MaxLR) != n {
		c.fail("max_lr", o.MaxLR, fmt.Sprintf("want one value or %d, one per group", n))
	}
	for _, lr := range o.MaxLR {
		c.above("max_lr", lr, 0)
	}
	if o.TotalSteps < 1 {
		c.fail("total_steps", o.TotalSteps, "must be ≥ 1")
	}
	c.in("pct_start", o.PctStart, 0, 1, false)
	c.above("div_factor", o.DivFactor, 0)
	c.above("final_div_factor", o.FinalDivFactor, 0)
	s := &oneCycle{OneCycle: o, groups: groups, base: baseLRs(groups)}
	switch o.AnnealStrategy {
	case "cos":
		s.anneal = func(start, end, pct float64) float64 { return end + (start-end)/2*(math.Cos(math.Pi*pct)+1) }
	case "linear":
		s.anneal = func(start, end, pct float64) float64 { return (end-start)*pct + start }
	default:
		c.fail("anneal_strategy", o.AnnealStrategy, `want "cos" or "linear"`)
	}
	if o.CycleMomentum {
		c.in("base_momentum", o.BaseMomentum, 0, 1, true)
		c.in("max_momentum", o.MaxMomentum, 0, 1, true)
	}
	if c.err != nil {
		return nil, c.err
	}
	total := float64(o.TotalSteps)
	maxM, baseM := o.MaxMomentum, o.BaseMomentum
	if o.ThreePhase {
		s.phases = []phase{
			{o.PctStart*total - 1, 0, 1, maxM, baseM},
			{2*o.PctStart*total - 2, 1, 0, baseM, maxM},
			{total - 1, 0, 2, maxM, maxM},
		}
	} else {
		s.phases = []phase{
			{o.PctStart*total - 1, 0, 1, maxM, baseM},
			{total - 1, 1, 2, baseM, maxM},
		}
	}
	// PyTorch divides by each phase's length: a phase of zero steps fails there.
	start := 0.0
	for _, p := range s.phases {
		if p.end == start {
			return nil, fmt.Errorf("solvers: OneCycleLR: pct_start %v with total_steps %d leaves a phase without steps", o.PctStart, o.TotalSteps)
		}
		start = p.end
	}
	if o.CycleMomentum {
		mg, ok := groups.(momentumGroups)
		if ok {
			_, ok = mg.Momentum()
		}
		if !ok {
			return nil, fmt.Errorf("solvers: OneCycleLR: cycle_momentum needs an optimizer with momentum (SGD, RMSProp, Adam, AdamW); set cycle_momentum false")
		}
		// Both ends must be valid momenta; the cycle stays between them.
		original, _ := mg.Momentum()
		if err := mg.SetMomentum(o.BaseMomentum); err != nil {
			return nil, fmt.Errorf("OneCycleLR base_momentum: %w", err)
		}
		if err := mg.SetMomentum(o.MaxMomentum); err != nil {
			_ = mg.SetMomentum(original) // the momentum it had, valid before
			return nil, fmt.Errorf("OneCycleLR max_momentum: %w", err)
		}
		s.mom = mg
	}
	for g := 0; g < n; g++ {
		peak := o.MaxLR[min(g, len(o.MaxLR)-1)]
		initial := peak / o.DivFactor
		s.rates = append(s.rates, [3]float64{initial, peak, initial / o.FinalDivFactor})
	}
	s.lrs = make([]float64, n)
	s.apply()
	return s, nil
}

// apply sets the rates and momentum of the current step, as get_lr computes
// them: the first phase not yet ended, or the last.
func (s *oneCycle) apply() {
	step := float64(min(s.epoch, s.TotalSteps))
	start := 0.0
	for i, p := range s.phases {
		if step <= p.end || i == len(s.phases)-1 {
			pct := (step - start) / (p.end - start)
			for g, r := range s.rates {
				s.lrs[g] = s.anneal(r[p.startLR], r[p.endLR], pct)
			}
			if s.mom != nil {
				// Between the two momenta checked when the schedule was built.
				_ = s.mom.SetMomentum(s.anneal(p.startMom, p.endMom, pct))
			}
			break
		}
		start = p.end
	}
	setLRs(s.groups, s.lrs)
}

func (s *oneCycle) Step(float64) {
	s.epoch++
	s.apply()
}

func (s *oneCycle) LRs() []float64 { return slices.Clone(s.lrs) }

func (s *oneCycle) State() ScheduleState {
	return ScheduleState{Type: "OneCycleLR", Epoch: s.epoch, BaseLRs: slices.Clone(s.base), LRs: slices.Clone(s.lrs)}
}

// SetState restores the position; rates and momentum follow from it.
func (s *oneCycle) SetState(st ScheduleState) error {
	if err := checkScheduleState(st, "OneCycleLR", len(s.lrs)); err != nil {
		return err
	}
	s.epoch = st.Epoch
	copy(s.base, st.BaseLRs)
	s.apply()
	return nil
}
