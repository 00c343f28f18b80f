package trainer_test

import (
	"context"
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// accumulationRun trains a conv net without batch norm or dropout for one
// epoch over 96 bars images in order, in batches of batch, accumulating
// accumulate batches per step of SGD with momentum and a per-step schedule,
// and returns its state.
func accumulationRun(t *testing.T, backend backendFor, batch, accumulate int) trainer.State {
	t.Helper()
	net := layers.Sequential{
		layers.Conv2D{Name: "conv", In: 1, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		layers.ReLU,
		layers.MaxPool2D{Kernel: [2]int{2, 2}},
		layers.Flatten{},
		layers.Linear{Name: "fc", In: 4 * 6 * 6, Out: 3},
	}
	m, err := layers.Build(net, []int{batch, 1, 12, 12}, tensor.Float32, 7)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := solvers.New("sgd", map[string]any{"lr": 0.2, "momentum": 0.9})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup(m.Trainable(), nil); err != nil {
		t.Fatal(err)
	}
	sched, err := solvers.NewStepLR(opt, 1, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	l, err := augment.NewLoader(bars(96, 4), augment.Config{BatchSize: batch, Seed: 7, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	b, err := backend(m)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trainer.New(trainer.Config{Model: m, Backend: b, Optimizer: opt, Schedule: sched, SchedulePerStep: true,
		Train: trainer.Images(l), Recipe: trainer.Recipe{Accumulate: accumulate}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	return mustState(t, tr)
}

// TestAccumulationEqualsOneLargeBatch: four accumulated batches of 8 give,
// step for step (three over the 96 images), the weights of batches of 32,
// within float32 rounding, with SGD's momentum and a per-step schedule; the
// optimizer's step count and the schedule follow the optimizer steps. Without
// accumulation the weights differ (the comparison can fail).
func TestAccumulationEqualsOneLargeBatch(t *testing.T) {
	onDevice := emulated(t)
	for name, backend := range map[string]backendFor{"cpu": cpu, "device": onDevice} {
		t.Run(name, func(t *testing.T) {
			large := accumulationRun(t, backend, 32, 0)
			accumulated := accumulationRun(t, backend, 8, 4)
			small := accumulationRun(t, backend, 8, 0)
			worst, worstSmall := 0.0, 0.0
			for name, w := range large.Params {
				for i, v := range w {
					scale := math.Max(math.Abs(float64(v)), 1e-2)
					worst = math.Max(worst, math.Abs(float64(accumulated.Params[name][i]-v))/scale)
					worstSmall = math.Max(worstSmall, math.Abs(float64(small.Params[name][i]-v))/scale)
				}
			}
			t.Logf("largest relative difference to one batch of 32: accumulated %.2g, batches of 8 %.2g", worst, worstSmall)
			if worst > 1e-4 {
				t.Errorf("accumulated weights differ from one large batch's by %.3g (relative)", worst)
			}
			if worstSmall < 1e-2 {
				t.Errorf("batches of 8 without accumulation are as close (%.3g): the comparison cannot fail", worstSmall)
			}
			for _, g := range accumulated.Optimizer.Groups {
				for _, p := range g.Params {
					if p.Step != 3 {
						t.Fatalf("%s: %d optimizer steps, want 3", p.Name, p.Step)
					}
				}
			}
			if accumulated.Optimizer.Groups[0].LR != large.Optimizer.Groups[0].LR {
				t.Errorf("learning rate after the epoch: accumulated %v, large batch %v", accumulated.Optimizer.Groups[0].LR, large.Optimizer.Groups[0].LR)
			}
		})
	}
}
