package recipe

import (
	"flag"
	"fmt"
	"math"

	"github.com/descent-ml/descent/solvers"
)

// The schedules of today's recipes: -schedule onecycle (PyTorch's
// OneCycleLR, stepped after every optimizer step as its recipes do), linear
// (LinearLR) and cosine-restarts (CosineAnnealingWarmRestarts), the last two
// stepped like the other schedules (every epoch, or every optimizer step with
// -schedule-per-iteration). Their Config fields are grouped under "recipe" in
// config.go.

// recipeSchedules are the -schedule values this file adds.
var recipeSchedules = []string{"onecycle", "linear", "cosine-restarts"}

// registerScheduleFlags binds the schedules' Config fields to flags of fs.
func (c *Config) registerScheduleFlags(fs *flag.FlagSet) {
	fs.Float64Var(&c.MaxLR, "max-lr", c.MaxLR, "onecycle: the peak learning rate max_lr (0: the optimizer's -lr)")
	fs.Float64Var(&c.PctStart, "pct-start", c.PctStart, "onecycle: share of the steps spent raising the rate")
	fs.StringVar(&c.Anneal, "anneal", c.Anneal, "onecycle: anneal strategy, cos or linear")
	fs.BoolVar(&c.ThreePhase, "three-phase", c.ThreePhase, "onecycle: fall back to the initial rate before the final annihilation")
	fs.Float64Var(&c.DivFactor, "div-factor", c.DivFactor, "onecycle: the initial rate is max_lr/div_factor")
	fs.Float64Var(&c.FinalDivFactor, "final-div-factor", c.FinalDivFactor, "onecycle: the last rate is the initial one/final_div_factor")
	fs.BoolVar(&c.CycleMomentum, "cycle-momentum", c.CycleMomentum, "onecycle: move SGD's momentum (Adam's β1) against the rate, between -max-momentum and -base-momentum")
	fs.Float64Var(&c.BaseMomentum, "base-momentum", c.BaseMomentum, "onecycle: momentum at the peak rate")
	fs.Float64Var(&c.MaxMomentum, "max-momentum", c.MaxMomentum, "onecycle: momentum at the start and end")
	fs.Float64Var(&c.StartFactor, "start-factor", c.StartFactor, "linear: the rate starts at this share of -lr")
	fs.Float64Var(&c.EndFactor, "end-factor", c.EndFactor, "linear: the rate ends at this share of -lr")
	fs.IntVar(&c.TotalIters, "total-iters", c.TotalIters, "linear: schedule steps from start to end factor")
	fs.IntVar(&c.T0, "t0", c.T0, "cosine-restarts: schedule steps of the first cycle (T_0)")
	fs.IntVar(&c.TMult, "t-mult", c.TMult, "cosine-restarts: each cycle is this many times longer than the last (T_mult)")
}

// validateSchedule checks the schedules' fields.
func (c *Config) validateSchedule() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(c.MaxLR) || c.MaxLR < 0:
		return fmt.Errorf("flag -max-lr: %v is not a finite number ≥ 0", c.MaxLR)
	case !(c.PctStart >= 0 && c.PctStart <= 1):
		return fmt.Errorf("flag -pct-start: %v is not in [0, 1]", c.PctStart)
	case c.Anneal != "cos" && c.Anneal != "linear":
		return fmt.Errorf("flag -anneal: unknown %q (want cos or linear)", c.Anneal)
	case !finite(c.DivFactor) || c.DivFactor <= 0:
		return fmt.Errorf("flag -div-factor: %v is not a finite number > 0", c.DivFactor)
	case !finite(c.FinalDivFactor) || c.FinalDivFactor <= 0:
		return fmt.Errorf("flag -final-div-factor: %v is not a finite number > 0", c.FinalDivFactor)
	case !(c.BaseMomentum >= 0 && c.BaseMomentum < 1):
		return fmt.Errorf("flag -base-momentum: %v is not in [0, 1)", c.BaseMomentum)
	case !(c.MaxMomentum >= c.BaseMomentum && c.MaxMomentum < 1):
		return fmt.Errorf("flag -max-momentum: %v is not in [-base-momentum %v, 1)", c.MaxMomentum, c.BaseMomentum)
	case !(c.StartFactor > 0 && c.StartFactor <= 1):
		return fmt.Errorf("flag -start-factor: %v is not in (0, 1]", c.StartFactor)
	case !(c.EndFactor >= 0 && c.EndFactor <= 1):
		return fmt.Errorf("flag -end-factor: %v is not in [0, 1]", c.EndFactor)
	case c.TotalIters < 1 || c.TotalIters > math.MaxInt32:
		return fmt.Errorf("flag -total-iters: %d is not in [1, %d]", c.TotalIters, math.MaxInt32)
	case c.Schedule == "cosine-restarts" && (c.T0 < 1 || c.T0 > math.MaxInt32):
		return fmt.Errorf("flag -t0: -schedule cosine-restarts needs the first cycle's length, %d is not in [1, %d]", c.T0, math.MaxInt32)
	case c.TMult < 1 || c.TMult > 1<<16:
		return fmt.Errorf("flag -t-mult: %d is not in [1, %d]", c.TMult, 1<<16)
	}
	return nil
}

// schedulePerStep reports whether the schedule steps after every optimizer
// step: onecycle always (as PyTorch's recipes step it), the others with
// -schedule-per-iteration.
func (c *Config) schedulePerStep() bool { return c.SchedulePerIt || c.Schedule == "onecycle" }

// recipeScheduleOptions fills the solvers.NewSchedule options of a recipe
// schedule and returns its type.
func (c *Config) recipeScheduleOptions(opt *solvers.Optimizer, stepsPerEpoch int, opts map[string]any) string {
	switch c.Schedule {
	case "onecycle":
		maxLR := c.MaxLR
		if maxLR == 0 {
			maxLR = opt.LR(0)
		}
		opts["max_lr"] = maxLR
		opts["total_steps"] = (c.Epochs - c.ScheduleRestart) * stepsPerEpoch
		opts["pct_start"], opts["anneal_strategy"], opts["three_phase"] = c.PctStart, c.Anneal, c.ThreePhase
		opts["div_factor"], opts["final_div_factor"] = c.DivFactor, c.FinalDivFactor
		opts["cycle_momentum"], opts["base_momentum"], opts["max_momentum"] = c.CycleMomentum, c.BaseMomentum, c.MaxMomentum
		return "onecycle"
	case "linear":
		opts["start_factor"], opts["end_factor"], opts["total_iters"] = c.StartFactor, c.EndFactor, c.TotalIters
		return "linear"
	default: // cosine-restarts
		opts["T_0"], opts["T_mult"], opts["eta_min"] = c.T0, c.TMult, c.EtaMin
		return "CosineAnnealingWarmRestarts"
	}
}
