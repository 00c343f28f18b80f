package trainer_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// mixAndEMA is a recipe with mixup and cutmix on every batch (either, at
// random) and a warmed-up EMA.
func mixAndEMA(t *testing.T) runRecipe {
	return runRecipe{soft: true, loss: graph.CrossEntropyOptions{LabelSmoothing: 0.1},
		recipe: func(m *graph.Model) trainer.Recipe {
			ema, err := solvers.NewEMA(m.Params, 0.9, true)
			if err != nil {
				t.Fatal(err)
			}
			mix := augment.DefaultMix(0.4, 1, 3)
			return trainer.Recipe{Mix: &mix, MixSeed: 11, EMA: ema}
		}}
}

// TestResumeIsBitExactWithMixAndEMA: with mixup, cutmix, label smoothing
// and an EMA, a resumed run ends bit for bit where an uninterrupted one does,
// the EMA's averages included, on both backends.
func TestResumeIsBitExactWithMixAndEMA(t *testing.T) {
	onDevice := emulated(t)
	for name, backend := range map[string]backendFor{"cpu": cpu, "device": onDevice} {
		t.Run(name, func(t *testing.T) { checkResumeIsBitExact(t, backend, mixAndEMA(t)) })
	}
}

// TestEMAIsEvaluatedEveryEpoch: each epoch reports the EMA weights' figures
// on the validation split; they are the figures of a model holding the
// averages, and evaluating them leaves the model's own weights in place.
func TestEMAIsEvaluatedEveryEpoch(t *testing.T) {
	onDevice := emulated(t)
	for name, backend := range map[string]backendFor{"cpu": cpu, "device": onDevice} {
		t.Run(name, func(t *testing.T) {
			r := newRecipeRun(t, backend, mixAndEMA(t))
			var epochs []trainer.EpochInfo
			r.t.OnEpoch(func(e trainer.EpochInfo) error { epochs = append(epochs, e); return nil })
			if err := r.t.Fit(context.Background(), 2); err != nil {
				t.Fatal(err)
			}
			last := epochs[len(epochs)-1]
			if len(epochs) != 2 || last.EMAVal.Count != 64 || math.IsNaN(last.EMAVal.Loss) || last.EMAVal.Loss == last.Val.Loss {
				t.Fatalf("epoch figures: val %+v, EMA val %+v", last.Val, last.EMAVal)
			}
			before := mustState(t, r.t)
			again, err := r.t.EvaluateEMA(r.val)
			if err != nil {
				t.Fatal(err)
			}
			if again != last.EMAVal {
				t.Errorf("EMA on the validation split: after the epoch %+v, again %+v", last.EMAVal, again)
			}
			sameParams(t, "before EvaluateEMA", before, "after", mustState(t, r.t))
			// The EMA's figures are a model's that holds the averages.
			weights, err := r.t.EMAWeights()
			if err != nil {
				t.Fatal(err)
			}
			averaged := map[string][]float32{}
			for _, p := range weights {
				averaged[p.Name] = p.Value.F32
			}
			if err := r.t.RestoreParams(averaged); err != nil {
				t.Fatal(err)
			}
			res, err := r.t.Evaluate(r.val)
			if err != nil {
				t.Fatal(err)
			}
			if res != last.EMAVal {
				t.Errorf("model holding the averages %+v, EMA figures %+v", res, last.EMAVal)
			}
		})
	}
}

// TestMixNeedsSoftTargets: a mix for a model that takes class indices is
// refused when the trainer is built.
func TestMixNeedsSoftTargets(t *testing.T) {
	rr := mixAndEMA(t)
	rr.soft = false
	m := recipeModel(t, rr)
	opt, err := solvers.New("sgd", map[string]any{"lr": 0.1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = trainer.New(trainer.Config{Model: m, Backend: graph.CPU{}, Optimizer: opt, Recipe: rr.recipe(m)})
	if err == nil || !strings.Contains(err.Error(), "soft targets") {
		t.Errorf("mixing with class-index labels: error %v", err)
	}
}
