package recipe

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/descent-ml/descent/trainer"
)

// LRRange is the setting of Smith's learning-rate range test ("Cyclical
// Learning Rates for Training Neural Networks", 2017, in the form fastai and
// torch-lr-finder run it): the rate grows exponentially from Start to End over
// Steps training steps, and the test stops early once the smoothed loss
// exceeds Diverge times its best.
type LRRange struct {
	Start, End float64
	Steps      int
	Smoothing  float64 // β of the loss's moving average, bias-corrected
	Diverge    float64
}

// DefaultLRRange is torch-lr-finder's exponential test (from 1e-7 to 10, β
// 0.98, a stop at 4× the best loss) over 200 steps instead of its 100.
func DefaultLRRange() LRRange {
	return LRRange{Start: 1e-7, End: 10, Steps: 200, Smoothing: 0.98, Diverge: 4}
}

// Check refuses settings that cannot make a range test, naming the flag.
func (rt LRRange) Check() error {
	switch {
	case !(rt.Start > 0) || math.IsInf(rt.Start, 0):
		return fmt.Errorf("flag -start-lr: %v is not a finite number > 0", rt.Start)
	case !(rt.End > rt.Start) || math.IsInf(rt.End, 0):
		return fmt.Errorf("flag -end-lr: %v is not a finite number above -start-lr %v", rt.End, rt.Start)
	case rt.Steps < 2 || rt.Steps > 1<<20:
		return fmt.Errorf("flag -steps: %d is not in [2, %d]", rt.Steps, 1<<20)
	case !(rt.Smoothing >= 0 && rt.Smoothing < 1):
		return fmt.Errorf("flag -smoothing: %v is not in [0, 1)", rt.Smoothing)
	case !(rt.Diverge > 1) || math.IsInf(rt.Diverge, 0):
		return fmt.Errorf("flag -diverge: %v is not a finite number > 1", rt.Diverge)
	}
	return nil
}

// lrAt is the rate of step i.
func (rt LRRange) lrAt(i int) float64 {
	return rt.Start * math.Pow(rt.End/rt.Start, float64(i)/float64(rt.Steps-1))
}

// LRPoint is one step of a range test.
type LRPoint struct {
	LR       float64 `json:"lr"`
	Loss     float64 `json:"loss"`
	Smoothed float64 `json:"smoothed_loss"`
}

// LRFinding is a range test's outcome.
type LRFinding struct {
	Points []LRPoint
	// Suggested is the rate where the smoothed loss falls fastest (per step,
	// so per factor of the rate); NaN when too few steps were run.
	Suggested float64
	// Diverged says the loss exploded before the last step.
	Diverged bool
}

// The suggestion ignores the first and last steps, as torch-lr-finder does:
// the start is flat and noisy, the end is the explosion.
const (
	suggestSkipStart = 10
	suggestSkipEnd   = 5
)

// FindLR runs Smith's range test on the run's model and training split and
// then restores the run's state (weights, optimizer, schedule, EMA, step
// count), so that the model is left as it was. The run's schedule should be
// none: the test sets the rate before every step.
func (r *Run) FindLR(rt LRRange) (*LRFinding, error) {
	if err := rt.Check(); err != nil {
		return nil, err
	}
	before, err := r.Trainer.State()
	if err != nil {
		return nil, err
	}
	history := r.History
	opt := r.Trainer.Optimizer()
	setLR := func(lr float64) {
		for g := range opt.NumGroups() {
			opt.SetLR(g, lr)
		}
	}
	f := &LRFinding{Suggested: math.NaN()}
	active := true // the hook stays with the trainer after the test
	var avg, best float64
	best = math.Inf(1)
	r.Trainer.OnStep(func(s trainer.StepInfo) error {
		if !active {
			return nil
		}
		i := len(f.Points)
		avg = rt.Smoothing*avg + (1-rt.Smoothing)*s.Loss
		smoothed := avg / (1 - math.Pow(rt.Smoothing, float64(i+1)))
		f.Points = append(f.Points, LRPoint{LR: rt.lrAt(i), Loss: s.Loss, Smoothed: smoothed})
		best = min(best, smoothed)
		if smoothed > rt.Diverge*best || math.IsNaN(smoothed) {
			f.Diverged = true
			return trainer.Stop
		}
		if i+1 == rt.Steps {
			return trainer.Stop
		}
		setLR(rt.lrAt(i + 1))
		return nil
	})
	setLR(rt.lrAt(0))
	epochs := r.Trainer.Epoch() + (rt.Steps+r.stepsPerEpoch()-1)/r.stepsPerEpoch() + 1
	err = r.Trainer.Fit(context.Background(), epochs)
	active = false
	if errors.Is(err, trainer.ErrDiverged) { // a loss that is no longer finite
		f.Diverged, err = true, nil
	}
	if err != nil {
		return nil, err
	}
	if err := r.Trainer.Restore(before); err != nil {
		return nil, fmt.Errorf("restoring the model after the range test: %w", err)
	}
	r.History = history
	f.Suggested = steepestDescent(f.Points)
	return f, nil
}

// steepestDescent is the rate of the point where the smoothed loss falls
// fastest: the minimum of its gradient over the steps (numpy.gradient's
// central differences, one-sided at the ends), as torch-lr-finder suggests.
func steepestDescent(points []LRPoint) float64 {
	if len(points) < suggestSkipStart+suggestSkipEnd+3 {
		return math.NaN()
	}
	p := points[suggestSkipStart : len(points)-suggestSkipEnd]
	best, at := math.Inf(1), -1
	for i := range p {
		var g float64
		switch i {
		case 0:
			g = p[1].Smoothed - p[0].Smoothed
		case len(p) - 1:
			g = p[i].Smoothed - p[i-1].Smoothed
		default:
			g = (p[i+1].Smoothed - p[i-1].Smoothed) / 2
		}
		if g < best {
			best, at = g, i
		}
	}
	return p[at].LR
}
