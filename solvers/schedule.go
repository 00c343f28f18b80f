package solvers

import (
	"fmt"
	"strings"
)

// LRGroups is what a schedule drives: the learning rates of an optimizer's
// parameter groups. *Optimizer implements it.
type LRGroups interface {
	NumGroups() int
	LR(group int) float64
	SetLR(group int, lr float64)
}

// Schedule sets the learning rates of an optimizer's groups over time, with the
// semantics of torch.optim.lr_scheduler: a schedule takes the groups' current
// learning rates as its base when it is built, and each Step moves it one
// epoch or one iteration on (the caller decides which by when it calls Step)
// and writes the new rates into the groups. A schedule keeps its own copy of
// the rates it set, so schedules compose (LinearWarmup scales another's rates)
// and a rate set on the optimizer by hand is overwritten at the next Step.
type Schedule interface {
	// Step advances the schedule and sets the groups' learning rates for the
	// next optimizer step. metric is the monitored quantity (say a validation
	// loss) that ReduceLROnPlateau reads; the time-based schedules ignore it.
	Step(metric float64)
	// LRs returns a copy of the learning rates the schedule last set.
	LRs() []float64
	// State and SetState export and restore the schedule's position, so that a
	// resumed run continues bit-exactly.
	State() ScheduleState
	SetState(ScheduleState) error
}

// ScheduleState is a schedule's position, plain data for gob or JSON.
type ScheduleState struct {
	Type    string    // "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR", "LinearLR", "CosineAnnealingWarmRestarts", "ReduceLROnPlateau", "LinearWarmup"
	Epoch   int       // PyTorch's last_epoch: Steps taken
	BaseLRs []float64 // the groups' learning rates when the schedule was built
	LRs     []float64 // the learning rates set at Epoch

	// ReduceLROnPlateau only.
	Best      float64 // best metric so far, if HasBest
	HasBest   bool
	BadEpochs int // num_bad_epochs
	Cooldown  int // cooldown_counter

	// LinearWarmup only: the state of the schedule it scales, nil for none.
	Inner *ScheduleState
}

// NewSchedule builds a schedule over groups by torch.optim.lr_scheduler type name
// (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR, LinearLR,
// CosineAnnealingWarmRestarts, ReduceLROnPlateau; any case, the LR suffix
// optional; also step, multistep, exponential, cosine, warm_restarts, plateau)
// with its options by PyTorch's names. Every type also takes
// "warmup_iters" and "warmup_start_factor" (default 1/3, LinearLR's
// start_factor), which wrap it in a LinearWarmup; the type "constant" (or
// "warmup", or "") keeps the base rates, for a warm-up alone. Required
// options: step_size, milestones, gamma of ExponentialLR, T_max, T_0, max_lr
// and total_steps (or epochs and steps_per_epoch) of OneCycleLR. Numbers may
// be float64 or int; mode and threshold_mode are strings; min_lr is a number
// or one per group. An unknown type or option is an error naming it.
func NewSchedule(typ string, groups LRGroups, opts map[string]any) (Schedule, error) {
	r := newOptionReader(typ, opts)
	warmupIters := r.int("warmup_iters", 0)
	warmupStart := r.float("warmup_start_factor", defaultWarmupStart)
	var (
		s   Schedule
		err error
	)
	key := strings.TrimSuffix(strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(typ)), "lr")
	switch key {
	case "step":
		s, err = NewStepLR(groups, r.int("step_size", 0), r.float("gamma", 0.1))
		if !r.has("step_size") {
			r.fail("option step_size is required")
		}
	case "multistep":
		var milestones []int
		for _, m := range r.floats("milestones", nil) {
			milestones = append(milestones, int(m))
			if m != float64(int(m)) {
				r.fail("option milestones: want whole numbers, got %v", m)
			}
		}
		s, err = NewMultiStepLR(groups, milestones, r.float("gamma", 0.1))
		if !r.has("milestones") {
			r.fail("option milestones is required")
		}
	case "exponential", "exp":
		s, err = NewExponentialLR(groups, r.float("gamma", 0))
		if !r.has("gamma") {
			r.fail("option gamma is required")
		}
	case "cosine", "cosineannealing":
		s, err = NewCosineAnnealingLR(groups, r.int("T_max", 0), r.float("eta_min", 0))
		if !r.has("T_max") {
			r.fail("option T_max is required")
		}
	case "onecycle":
		s, err = NewOneCycleLR(groups, readOneCycle(r))
	case "linear":
		s, err = NewLinearLR(groups, r.float("start_factor", defaultWarmupStart), r.float("end_factor", 1), r.int("total_iters", 5))
	case "cosineannealingwarmrestarts", "cosinewarmrestarts", "warmrestarts":
		s, err = NewCosineAnnealingWarmRestarts(groups, r.int("T_0", 0), r.int("T_mult", 1), r.float("eta_min", 0))
		if !r.has("T_0") {
			r.fail("option T_0 is required")
		}
	case "plateau", "reduceonplateau", "reducelronplateau":
		s, err = NewReduceLROnPlateau(groups, readPlateau(r, groups.NumGroups()))
	case "constant", "warmup", "linearwarmup", "":
		if warmupIters == 0 {
			r.fail("option warmup_iters is required")
		}
	default:
		return nil, fmt.Errorf("solvers: unknown schedule %q (want StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR, LinearLR, CosineAnnealingWarmRestarts, ReduceLROnPlateau or constant)", typ)
	}
	if ferr := r.finish(); ferr != nil {
		return nil, ferr
	}
	if err != nil {
		return nil, err
	}
	if warmupIters == 0 && s != nil {
		return s, nil
	}
	return NewLinearWarmup(s, groups, warmupIters, warmupStart)
}

// baseLRs reads the groups' current learning rates.
func baseLRs(groups LRGroups) []float64 {
	lrs := make([]float64, groups.NumGroups())
	for g := range lrs {
		lrs[g] = groups.LR(g)
	}
	return lrs
}

func setLRs(groups LRGroups, lrs []float64) {
	for g, lr := range lrs {
		groups.SetLR(g, lr)
	}
}

// checkScheduleState checks the parts of st every schedule shares.
func checkScheduleState(st ScheduleState, typ string, groups int) error {
	if st.Type != typ {
		return fmt.Errorf("solvers: state of a %s schedule, not %s", st.Type, typ)
	}
	if len(st.BaseLRs) != groups || len(st.LRs) != groups {
		return fmt.Errorf("solvers: %s state has %d base and %d current learning rates for %d groups", typ, len(st.BaseLRs), len(st.LRs), groups)
	}
	if st.Epoch < 0 {
		return fmt.Errorf("solvers: %s state has epoch %d", typ, st.Epoch)
	}
	return nil
}
