package solvers

import (
	"fmt"
	"math"
	"slices"
)

// Plateau holds the options of ReduceLROnPlateau, by PyTorch's meaning.
type Plateau struct {
	Mode          string    // mode: "min" (a lower metric is better) or "max"
	Factor        float64   // factor: the rate is multiplied by it on a plateau, in [0, 1)
	Patience      int       // patience: epochs without improvement tolerated
	Threshold     float64   // threshold: the improvement that counts
	ThresholdMode string    // threshold_mode: "rel" (best·(1∓threshold)) or "abs" (best∓threshold)
	Cooldown      int       // cooldown: epochs to wait after a reduction before counting again
	MinLR         []float64 // min_lr: one floor for all groups, or one per group
	Eps           float64   // eps: a reduction smaller than this is not made
}

// DefaultPlateau returns torch.optim.lr_scheduler.ReduceLROnPlateau's defaults.
func DefaultPlateau() Plateau {
	return Plateau{Mode: "min", Factor: 0.1, Patience: 10, Threshold: 1e-4, ThresholdMode: "rel", MinLR: []float64{0}, Eps: 1e-8}
}

func readPlateau(r *optionReader, groups int) Plateau {
	p := DefaultPlateau()
	p.Mode = r.string("mode", p.Mode)
	p.Factor = r.float("factor", p.Factor)
	p.Patience = r.int("patience", p.Patience)
	p.Threshold = r.float("threshold", p.Threshold)
	p.ThresholdMode = r.string("threshold_mode", p.ThresholdMode)
	p.Cooldown = r.int("cooldown", p.Cooldown)
	p.MinLR = r.floats("min_lr", p.MinLR)
	p.Eps = r.float("eps", p.Eps)
	return p
}

// plateau is ReduceLROnPlateau.
type plateau struct {
	Plateau
	groups    LRGroups
	base      []float64
	lrs       []float64
	minLR     []float64 // one per group
	epoch     int
	best      float64
	hasBest   bool
	badEpochs int
	cooldown  int
}

// NewReduceLROnPlateau is torch.optim.lr_scheduler.ReduceLROnPlateau: Step(metric)
// counts the epochs in which the metric did not improve on the best so far by
// the threshold; when more than Patience have passed, every group's rate is
// multiplied by Factor (not below its MinLR), and counting pauses for Cooldown
// epochs.
func NewReduceLROnPlateau(groups LRGroups, p Plateau) (Schedule, error) {
	c := checker{what: "ReduceLROnPlateau"}
	if p.Mode != "min" && p.Mode != "max" {
		c.fail("mode", p.Mode, `must be "min" or "max"`)
	}
	if p.ThresholdMode != "rel" && p.ThresholdMode != "abs" {
		c.fail("threshold_mode", p.ThresholdMode, `must be "rel" or "abs"`)
	}
	c.in("factor", p.Factor, 0, 1, true)
	if p.Patience < 0 {
		c.fail("patience", p.Patience, "must be ≥ 0")
	}
	if p.Cooldown < 0 {
		c.fail("cooldown", p.Cooldown, "must be ≥ 0")
	}
	c.atLeast("threshold", p.Threshold, 0)
	c.atLeast("eps", p.Eps, 0)
	n := groups.NumGroups()
	minLR := p.MinLR
	switch len(minLR) {
	case 1:
		minLR = slices.Repeat(minLR, n)
	case n:
		minLR = slices.Clone(minLR)
	default:
		c.fail("min_lr", p.MinLR, fmt.Sprintf("want one value or %d, one per group", n))
	}
	for _, m := range minLR {
		c.atLeast("min_lr", m, 0)
	}
	if c.err != nil {
		return nil, c.err
	}
	base := baseLRs(groups)
	return &plateau{Plateau: p, groups: groups, base: base, lrs: slices.Clone(base), minLR: minLR}, nil
}

func (p *plateau) Step(metric float64) {
	p.epoch++
	if p.better(metric) {
		p.best, p.hasBest = metric, true
		p.badEpochs = 0
	} else {
		p.badEpochs++
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.badEpochs = 0
	}
	if p.badEpochs > p.Patience {
		for g, old := range p.lrs {
			if lr := math.Max(old*p.Factor, p.minLR[g]); old-lr > p.Eps {
				p.lrs[g] = lr
			}
		}
		p.cooldown = p.Cooldown
		p.badEpochs = 0
	}
	setLRs(p.groups, p.lrs)
}

// better is PyTorch's is_better, with the best of no epoch yet the worst value.
func (p *plateau) better(metric float64) bool {
	best := p.best
	if !p.hasBest {
		best = math.Inf(1)
		if p.Mode == "max" {
			best = math.Inf(-1)
		}
	}
	switch {
	case p.Mode == "min" && p.ThresholdMode == "rel":
		return metric < best*(1-p.Threshold)
	case p.Mode == "min":
		return metric < best-p.Threshold
	case p.ThresholdMode == "rel":
		return metric > best*(p.Threshold+1)
	default:
		return metric > best+p.Threshold
	}
}

func (p *plateau) LRs() []float64 { return slices.Clone(p.lrs) }

func (p *plateau) State() ScheduleState {
	return ScheduleState{
		Type: "ReduceLROnPlateau", Epoch: p.epoch, BaseLRs: slices.Clone(p.base), LRs: slices.Clone(p.lrs),
		Best: p.best, HasBest: p.hasBest, BadEpochs: p.badEpochs, Cooldown: p.cooldown,
	}
}

func (p *plateau) SetState(st ScheduleState) error {
	if err := checkScheduleState(st, "ReduceLROnPlateau", len(p.lrs)); err != nil {
		return err
	}
	if st.BadEpochs < 0 || st.Cooldown < 0 {
		return fmt.Errorf("solvers: ReduceLROnPlateau state has %d bad epochs and cooldown %d", st.BadEpochs, st.Cooldown)
	}
	p.epoch = st.Epoch
	copy(p.base, st.BaseLRs)
	copy(p.lrs, st.LRs)
	p.best, p.hasBest, p.badEpochs, p.cooldown = st.Best, st.HasBest, st.BadEpochs, st.Cooldown
	setLRs(p.groups, p.lrs)
	return nil
}
