package trainer_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/kernels/cudaemu"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// bars is a seeded data set of 12×12 images of three classes: a noisy
// horizontal bar, vertical bar or diagonal at a random place.
func bars(n int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 3))
	ds := &data.Dataset{Classes: []string{"horizontal", "vertical", "diagonal"}}
	for range n {
		img := data.NewImage(1, 12, 12)
		for i := range img.Pix {
			img.Pix[i] = uint8(rng.IntN(80))
		}
		class, at := rng.IntN(3), 2+rng.IntN(8)
		for k := range 12 {
			switch class {
			case 0:
				img.Pix[at*12+k] = 255
			case 1:
				img.Pix[k*12+at] = 255
			default:
				img.Pix[k*12+k] = 255
			}
		}
		ds.Images, ds.Labels = append(ds.Images, img), append(ds.Labels, class)
	}
	return ds
}

// run is what one training run of the tests is made of.
type run struct {
	t          *trainer.Trainer
	train, val trainer.Loader
	test       trainer.Loader
}

// backendFor makes the backend of each run: the CPU, or the device backend
// on the CPU emulation of the CUDA kernels.
type backendFor func(*graph.Model) (graph.Backend, error)

func cpu(*graph.Model) (graph.Backend, error) { return graph.CPU{}, nil }

func emulated(t *testing.T) backendFor {
	emu := cudaemu.Shared(t, "../kernels")
	return func(m *graph.Model) (graph.Backend, error) { return graph.NewDeviceBackend(emu, m) }
}

// newRun builds a small conv net with batch norm and dropout, Adam with
// clipping and a cosine schedule, over the bars data.
func newRun(t *testing.T, backend backendFor) *run {
	t.Helper()
	return newRecipeRun(t, backend, runRecipe{})
}

// recipeModel is newRun's model with rr's loss and targets.
func recipeModel(t *testing.T, rr runRecipe) *graph.Model {
	t.Helper()
	net := layers.Sequential{
		layers.Conv2D{Name: "conv", In: 1, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}},
		layers.BatchNorm{Name: "bn", Channels: 4},
		layers.ReLU,
		layers.MaxPool2D{Kernel: [2]int{2, 2}},
		layers.Flatten{},
		layers.Dropout{P: 0.2},
		layers.Linear{Name: "fc", In: 4 * 6 * 6, Out: 3},
	}
	m, err := layers.BuildCrossEntropy(net, []int{32, 1, 12, 12}, tensor.Float32, 7, nil, rr.loss, rr.soft)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runRecipe is what newRecipeRun adds to newRun's run.
type runRecipe struct {
	loss   graph.CrossEntropyOptions
	soft   bool                              // soft targets
	recipe func(*graph.Model) trainer.Recipe // nil: none
}

// newRecipeRun is newRun with a loss, targets and a trainer recipe.
func newRecipeRun(t *testing.T, backend backendFor, rr runRecipe) *run {
	t.Helper()
	m := recipeModel(t, rr)
	opt, err := solvers.New("adam", map[string]any{"lr": 0.01, "clip_grad_norm": 5.0})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup(m.Trainable(), nil); err != nil {
		t.Fatal(err)
	}
	sched, err := solvers.NewCosineAnnealingLR(opt, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	loader := func(ds *data.Dataset, shuffle bool) trainer.Loader {
		l, err := augment.NewLoader(ds, augment.Config{BatchSize: 32, Seed: 7, Shuffle: shuffle, Workers: 2,
			Transform: augment.RandomTranslate{MaxX: 0.1, MaxY: 0.1}})
		if err != nil {
			t.Fatal(err)
		}
		return trainer.Images(l)
	}
	r := &run{train: loader(bars(192, 1), true), val: loader(bars(64, 2), false), test: loader(bars(96, 3), false)}
	b, err := backend(m)
	if err != nil {
		t.Fatal(err)
	}
	cfg := trainer.Config{Model: m, Backend: b, Optimizer: opt, Schedule: sched, Train: r.train, Val: r.val}
	if rr.recipe != nil {
		cfg.Recipe = rr.recipe(m)
	}
	if r.t, err = trainer.New(cfg); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *run) evaluate(t *testing.T) trainer.Result {
	t.Helper()
	res, err := r.t.Evaluate(r.test)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFitOnCPUAndDevice: one epoch with the same seed on the CPU and on the
// emulated device ends with test losses within 1e-3, and training helps.
func TestFitOnCPUAndDevice(t *testing.T) {
	onDevice := emulated(t)
	var results []trainer.Result
	for _, backend := range []backendFor{cpu, onDevice} {
		r := newRun(t, backend)
		before := r.evaluate(t)
		var epochs []trainer.EpochInfo
		r.t.OnEpoch(func(e trainer.EpochInfo) error { epochs = append(epochs, e); return nil })
		if err := r.t.Fit(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		after := r.evaluate(t)
		if len(epochs) != 1 || epochs[0].Images != 192 || epochs[0].Val.Count != 64 || r.t.Epoch() != 1 {
			t.Fatalf("epochs %+v, Epoch() %d", epochs, r.t.Epoch())
		}
		if after.Count != 96 || !(after.Loss < before.Loss) {
			t.Errorf("test loss %v before training, %v after (%d samples)", before.Loss, after.Loss, after.Count)
		}
		results = append(results, after)
	}
	t.Logf("test loss after one epoch: CPU %v, device %v", results[0].Loss, results[1].Loss)
	if d := math.Abs(results[0].Loss - results[1].Loss); d > 1e-3 {
		t.Errorf("test loss after one epoch: CPU %v, device %v (|Δ| %g)", results[0].Loss, results[1].Loss, d)
	}
}

// TestResumeIsBitExact: a run stopped after epoch 1, its state saved through
// gob and restored into a new trainer, ends epoch 3 with exactly the
// parameters and test figures of an uninterrupted run, on both backends.
func TestResumeIsBitExact(t *testing.T) {
	onDevice := emulated(t)
	for name, backend := range map[string]backendFor{"cpu": cpu, "device": onDevice} {
		t.Run(name, func(t *testing.T) { checkResumeIsBitExact(t, backend, runRecipe{}) })
	}
}

// checkResumeIsBitExact trains one run for three epochs and another for one,
// saves its state through gob and restores it into a third, which trains to
// epoch 3: it must end with the first's parameters, EMA and test figures.
func checkResumeIsBitExact(t *testing.T, backend backendFor, rr runRecipe) {
	whole := newRecipeRun(t, backend, rr)
	if err := whole.t.Fit(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	first := newRecipeRun(t, backend, rr)
	if err := first.t.Fit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	st, err := first.t.State()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(st); err != nil {
		t.Fatal(err)
	}
	var saved trainer.State
	if err := gob.NewDecoder(&buf).Decode(&saved); err != nil {
		t.Fatal(err)
	}
	resumed := newRecipeRun(t, backend, rr)
	if err := resumed.t.Restore(saved); err != nil {
		t.Fatal(err)
	}
	if err := resumed.t.Fit(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	a, b := mustState(t, whole.t), mustState(t, resumed.t)
	sameParams(t, "uninterrupted", a, "resumed", b)
	if a.Iteration != b.Iteration || a.Epoch != 3 || b.Epoch != 3 {
		t.Errorf("iterations %d and %d, epochs %d and %d", a.Iteration, b.Iteration, a.Epoch, b.Epoch)
	}
	if (a.EMA == nil) != (b.EMA == nil) {
		t.Fatalf("EMA state uninterrupted %v, resumed %v", a.EMA != nil, b.EMA != nil)
	}
	if a.EMA != nil {
		if a.EMA.Updates != b.EMA.Updates || a.EMA.Updates != int64(a.Iteration) {
			t.Errorf("EMA updates uninterrupted %d, resumed %d, steps %d", a.EMA.Updates, b.EMA.Updates, a.Iteration)
		}
		for name, avg := range a.EMA.Averages {
			for i, v := range avg.F32 {
				if math.Float32bits(v) != math.Float32bits(b.EMA.Averages[name].F32[i]) {
					t.Fatalf("EMA of %s[%d]: uninterrupted %v, resumed %v", name, i, v, b.EMA.Averages[name].F32[i])
				}
			}
		}
	}
	if ra, rb := whole.evaluate(t), resumed.evaluate(t); ra != rb {
		t.Errorf("test result uninterrupted %+v, resumed %+v", ra, rb)
	}
}

// sameParams fails unless two states hold bit-identical parameters.
func sameParams(t *testing.T, what string, a trainer.State, other string, b trainer.State) {
	t.Helper()
	for name, w := range a.Params {
		for i, v := range w {
			if math.Float32bits(v) != math.Float32bits(b.Params[name][i]) {
				t.Fatalf("%s[%d]: %s %v, %s %v", name, i, what, v, other, b.Params[name][i])
			}
		}
	}
}

func mustState(t *testing.T, tr *trainer.Trainer) trainer.State {
	t.Helper()
	st, err := tr.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestFitStops: cancelling the context, or a hook returning Stop, ends Fit
// after the step under way.
func TestFitStops(t *testing.T) {
	r := newRun(t, cpu)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.t.OnStep(func(s trainer.StepInfo) error {
		if s.Iteration == 2 {
			cancel()
		}
		if s.Iteration == 5 {
			return trainer.Stop
		}
		return nil
	})
	if err := r.t.Fit(ctx, 3); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fit after cancelling: %v", err)
	}
	if it := r.t.Machine().Iteration(); it != 2 || r.t.Epoch() != 0 {
		t.Fatalf("cancelled after %d steps and %d epochs, want 2 and 0", it, r.t.Epoch())
	}
	if err := r.t.Fit(context.Background(), 3); err != nil {
		t.Fatalf("Fit stopped by a hook: %v", err)
	}
	if it := r.t.Machine().Iteration(); it != 5 {
		t.Fatalf("stopped after %d steps, want 5", it)
	}
}

// TestGradientHookSeesGradients: the hook runs between backward and update
// with the step's gradients on the host, also on the device.
func TestGradientHookSeesGradients(t *testing.T) {
	r := newRun(t, emulated(t))
	w := r.t.Model().Param("fc.weight")
	var norms []float64
	r.t.OnGradients(func(trainer.StepInfo) error {
		var sum float64
		for i := range w.Grad.Len() {
			sum += w.Grad.At(i) * w.Grad.At(i)
		}
		norms = append(norms, sum)
		if len(norms) == 3 {
			return trainer.Stop
		}
		return nil
	})
	if err := r.t.Fit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if len(norms) != 3 || norms[0] == 0 || norms[0] == norms[1] {
		t.Errorf("squared gradient norms seen by the hook: %v", norms)
	}
}

// TestPredict: probabilities are a distribution per image, and their arg-max
// is right as often as Evaluate counts.
func TestPredict(t *testing.T) {
	for name, rr := range map[string]runRecipe{"class indices": {}, "soft targets": mixAndEMA(t)} {
		t.Run(name, func(t *testing.T) { checkPredict(t, rr) })
	}
}

// checkPredict: Predict's probabilities sum to 1 and their arg-max agrees
// with Evaluate's count of right predictions.
func checkPredict(t *testing.T, rr runRecipe) {
	r := newRecipeRun(t, cpu, rr)
	if err := r.t.Fit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	var correct, count int
	for b := range r.test.Epoch(0) {
		probs, err := r.t.Predict(b.X)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range probs {
			sum, best := 0.0, 0
			for j, v := range p {
				sum += v
				if v > p[best] {
					best = j
				}
			}
			if math.Abs(sum-1) > 1e-9 {
				t.Fatalf("probabilities %v sum to %v", p, sum)
			}
			if best == b.Labels[i] {
				correct++
			}
			count++
		}
	}
	if res := r.evaluate(t); correct != res.Correct || count != res.Count {
		t.Errorf("Predict: %d of %d right; Evaluate: %d of %d", correct, count, res.Correct, res.Count)
	}
}

// TestDiverged: a weight that is no longer finite ends Fit with ErrDiverged
// at the first step.
func TestDiverged(t *testing.T) {
	r := newRun(t, cpu)
	r.t.Model().Param("fc.weight").Value.F32[0] = float32(math.Inf(1))
	if err := r.t.Fit(context.Background(), 3); !errors.Is(err, trainer.ErrDiverged) || r.t.Machine().Iteration() != 1 {
		t.Fatalf("Fit with an infinite weight: %v after %d steps, want ErrDiverged after 1", err, r.t.Machine().Iteration())
	}
}

// TestFullBatchRegression: a float64 regression trained on one in-memory
// batch fits a line.
func TestFullBatchRegression(t *testing.T) {
	x, y := graph.NewBuffer(tensor.Float64, 8, 1), graph.NewBuffer(tensor.Float64, 8, 1)
	for i := range 8 {
		x.F64[i] = float64(i) / 8
		y.F64[i] = 3*x.F64[i] - 1
	}
	m, err := layers.BuildRegression(layers.Linear{Name: "fc", In: 1, Out: 1}, x.Shape, tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := solvers.New("sgd", map[string]any{"lr": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup(m.Trainable(), nil); err != nil {
		t.Fatal(err)
	}
	data := trainer.FullBatch(trainer.Batch{X: x, Targets: y})
	tr, err := trainer.New(trainer.Config{Model: m, Optimizer: opt, Train: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), 2000); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Evaluate(data)
	if err != nil {
		t.Fatal(err)
	}
	if w, b := m.Param("fc.weight").Value.F64[0], m.Param("fc.bias").Value.F64[0]; res.Loss > 1e-12 || math.Abs(w-3) > 1e-5 || math.Abs(b+1) > 1e-5 {
		t.Errorf("loss %g, w %v, b %v; want 0, 3, −1", res.Loss, w, b)
	}
}

// countingBackend counts the downloads of the parameters.
type countingBackend struct {
	graph.ResidentBackend
	pulls int
}

func (c *countingBackend) PullParams() error {
	c.pulls++
	return c.ResidentBackend.PullParams()
}

// TestSyncsOnlyWhenRead: on a resident device, training brings nothing back
// to the host; State does, once until the next step.
func TestSyncsOnlyWhenRead(t *testing.T) {
	onDevice := emulated(t)
	var counter *countingBackend
	r := newRun(t, func(m *graph.Model) (graph.Backend, error) {
		b, err := onDevice(m)
		if err != nil {
			return nil, err
		}
		counter = &countingBackend{ResidentBackend: b.(graph.ResidentBackend)}
		return counter, nil
	})
	if err := r.t.Fit(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if counter.pulls != 0 {
		t.Fatalf("%d downloads of the parameters during an epoch", counter.pulls)
	}
	for range 2 {
		if _, err := r.t.State(); err != nil {
			t.Fatal(err)
		}
	}
	if counter.pulls != 1 {
		t.Fatalf("%d downloads for two States without a step between them, want 1", counter.pulls)
	}
}

// TestUpdateInsideTrainingRuns: on the device, the update inside the
// training runs (the default) and the update after them (which a gradient
// hook forces) train bit-identically.
func TestUpdateInsideTrainingRuns(t *testing.T) {
	onDevice := emulated(t)
	inside, after := newRun(t, onDevice), newRun(t, onDevice)
	after.t.OnGradients(func(trainer.StepInfo) error { return nil })
	for _, r := range []*run{inside, after} {
		if err := r.t.Fit(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
	}
	a, b := mustState(t, inside.t), mustState(t, after.t)
	sameParams(t, "update inside the runs", a, "after them", b)
	if a.Optimizer.Groups[0].Params[0].Step != b.Optimizer.Groups[0].Params[0].Step {
		t.Errorf("step counts %d and %d", a.Optimizer.Groups[0].Params[0].Step, b.Optimizer.Groups[0].Params[0].Step)
	}
	inside.t.OnGradients(func(trainer.StepInfo) error { return nil })
	if err := inside.t.Fit(context.Background(), 3); err == nil {
		t.Error("a gradient hook added after training started inside the runs was accepted")
	}
}
