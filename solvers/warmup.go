package solvers

import (
	"fmt"
	"slices"
)

// defaultWarmupStart is torch.optim.lr_scheduler.LinearLR's default start_factor.
const defaultWarmupStart = 1.0 / 3

// warmup is LinearWarmup.
type warmup struct {
	inner  Schedule // nil: the base rates
	groups LRGroups
	iters  int
	start  float64
	base   []float64
	lrs    []float64
	epoch  int
}

// NewLinearWarmup scales the rates of inner (nil: the groups' current rates) by
// a factor that rises linearly from startFactor at step 0 to 1 at step iters and
// stays 1 after: factor(t) = startFactor + (1−startFactor)·min(t, iters)/iters.
// Each Step steps inner too. For schedules that multiply their rate (StepLR,
// MultiStepLR, ExponentialLR) this equals PyTorch's
// ChainedScheduler([LinearLR(start_factor, total_iters=iters), inner]) up to
// rounding; unlike chaining, it leaves the recursive forms of CosineAnnealingLR
// and ReduceLROnPlateau undisturbed, since they follow their own rates.
func NewLinearWarmup(inner Schedule, groups LRGroups, iters int, startFactor float64) (Schedule, error) {
	c := checker{what: "LinearWarmup"}
	if iters < 1 {
		c.fail("warmup_iters", iters, "must be ≥ 1")
	}
	c.in("warmup_start_factor", startFactor, 0, 1, false)
	if c.err != nil {
		return nil, c.err
	}
	w := &warmup{inner: inner, groups: groups, iters: iters, start: startFactor, base: baseLRs(groups)}
	if inner != nil {
		w.base = inner.LRs()
	}
	w.lrs = slices.Clone(w.base)
	w.apply()
	return w, nil
}

// apply sets the scaled rates of the current step.
func (w *warmup) apply() {
	inner := w.base
	if w.inner != nil {
		inner = w.inner.LRs()
	}
	factor := w.start + (1-w.start)*float64(min(w.epoch, w.iters))/float64(w.iters)
	for g := range w.lrs {
		w.lrs[g] = inner[g] * factor
	}
	setLRs(w.groups, w.lrs)
}

func (w *warmup) Step(metric float64) {
	if w.inner != nil {
		w.inner.Step(metric)
	}
	w.epoch++
	w.apply()
}

func (w *warmup) LRs() []float64 { return slices.Clone(w.lrs) }

func (w *warmup) State() ScheduleState {
	st := ScheduleState{Type: "LinearWarmup", Epoch: w.epoch, BaseLRs: slices.Clone(w.base), LRs: slices.Clone(w.lrs)}
	if w.inner != nil {
		inner := w.inner.State()
		st.Inner = &inner
	}
	return st
}

func (w *warmup) SetState(st ScheduleState) error {
	if err := checkScheduleState(st, "LinearWarmup", len(w.lrs)); err != nil {
		return err
	}
	if (st.Inner != nil) != (w.inner != nil) {
		return fmt.Errorf("solvers: LinearWarmup state and schedule disagree on whether a schedule is wrapped")
	}
	if w.inner != nil {
		if err := w.inner.SetState(*st.Inner); err != nil {
			return err
		}
	}
	w.epoch = st.Epoch
	copy(w.base, st.BaseLRs)
	copy(w.lrs, st.LRs)
	setLRs(w.groups, w.lrs)
	return nil
}
