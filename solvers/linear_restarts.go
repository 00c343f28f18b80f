package solvers

import "math"

// NewLinearLR is torch.optim.lr_scheduler.LinearLR: the rate is the base rate
// times a factor that moves linearly from startFactor to endFactor over
// totalIters Steps and stays there. Stepped once per optimizer step it is the
// usual linear warm-up. It uses PyTorch 1.13's recursive form, each rate from
// the previous one, so its rounding matches PyTorch's step by step.
func NewLinearLR(groups LRGroups, startFactor, endFactor float64, totalIters int) (Schedule, error) {
	c := checker{what: "LinearLR"}
	c.above("start_factor", startFactor, 0)
	c.in("start_factor", startFactor, 0, 1, false)
	c.in("end_factor", endFactor, 0, 1, false)
	if totalIters < 1 {
		c.fail("total_iters", totalIters, "must be ≥ 1")
	}
	if c.err != nil {
		return nil, c.err
	}
	total, change := float64(totalIters), endFactor-startFactor
	d := newDecay("LinearLR", groups, func(epoch int, _, last float64) float64 {
		if epoch > totalIters {
			return last
		}
		return last * (1 + change/(total*startFactor+float64(epoch-1)*change))
	})
	for g := range d.lrs {
		d.lrs[g] *= startFactor
	}
	setLRs(groups, d.lrs)
	return d, nil
}

// NewCosineAnnealingWarmRestarts is
// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts stepped one whole unit
// (an epoch, or an optimizer step) at a time: the rate follows
// η_min + (η_base − η_min)·(1 + cos(π·T_cur/T_i))/2 and restarts at the base
// rate after T_i Steps, the first period lasting t0 Steps and each next one
// tMult times as long.
func NewCosineAnnealingWarmRestarts(groups LRGroups, t0, tMult int, etaMin float64) (Schedule, error) {
	c := checker{what: "CosineAnnealingWarmRestarts"}
	if t0 < 1 {
		c.fail("T_0", t0, "must be ≥ 1")
	}
	if tMult < 1 {
		c.fail("T_mult", tMult, "must be ≥ 1")
	}
	c.atLeast("eta_min", etaMin, 0)
	if c.err != nil {
		return nil, c.err
	}
	d := newDecay("CosineAnnealingWarmRestarts", groups, func(epoch int, base, _ float64) float64 {
		// T_cur and T_i after epoch Steps, as PyTorch's step advances them.
		tCur, tI := epoch, t0
		if tMult == 1 {
			tCur %= t0
		}
		for tCur >= tI {
			tCur -= tI
			tI *= tMult
		}
		return etaMin + (base-etaMin)*(1+math.Cos(math.Pi*float64(tCur)/float64(tI)))/2
	})
	// PyTorch computes the first rate by the formula too, which may round.
	for g := range d.lrs {
		d.lrs[g] = d.next(0, d.base[g], d.lrs[g])
	}
	setLRs(groups, d.lrs)
	return d, nil
}
