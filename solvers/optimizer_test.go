package solvers

import (
	"errors"
	"math"
	"reflect"
	"runtime"
	"testing"

	"github.com/descent-ml/descent/graph"
	"gorgonia.org/tensor"
)

var testDtype = tensor.Float64

// testParam returns a float64 parameter holding values, with a zero gradient.
func testParam(name string, kind graph.ParamKind, values ...float64) *graph.Param {
	p := &graph.Param{Name: name, Kind: kind, Value: graph.NewBuffer(testDtype, len(values)), Grad: graph.NewBuffer(testDtype, len(values))}
	copy(p.Value.F64, values)
	return p
}

// testOptimizer returns an SGD optimizer with one empty group per learning rate.
func testOptimizer(t *testing.T, lrs ...float64) *Optimizer {
	t.Helper()
	opt, err := New("sgd", map[string]any{"lr": 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, lr := range lrs {
		if err := opt.AddGroup(nil, map[string]any{"lr": lr}); err != nil {
			t.Fatal(err)
		}
	}
	return opt
}

func newTestOptimizer(t *testing.T, name string, opts map[string]any, groups ...[]*graph.Param) *Optimizer {
	t.Helper()
	opt, err := New(name, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if err := opt.AddGroup(g, nil); err != nil {
			t.Fatal(err)
		}
	}
	return opt
}

func closeSlices(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// TestRegularizationDefaultsToWeights checks that the penalties shrink weights
// only, unless a group names other kinds, and that Penalty reports their value.
func TestRegularizationDefaultsToWeights(t *testing.T) {
	const lr, l1, l2 = 0.5, 0.1, 0.2
	w := testParam("fc.weight", graph.Weight, 1, -2, 0)
	b := testParam("fc.bias", graph.Bias, 3, -1)
	gamma := testParam("bn.weight", graph.NormScale, 1.5)
	beta := testParam("bn.bias", graph.NormShift, -0.5)
	opt := newTestOptimizer(t, "sgd", map[string]any{"lr": lr, "l1": l1, "l2": l2}, []*graph.Param{w, b, gamma, beta})

	// Penalty over the weight only: l1·Σ|w| + ½·l2·Σw².
	if got, want := opt.Penalty(), l1*3+0.5*l2*5; math.Abs(got-want) > 1e-15 {
		t.Errorf("Penalty = %v, want %v", got, want)
	}
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	// Zero loss gradient, so only the penalty gradient l1·sign(w) + l2·w moves w.
	closeSlices(t, "weight", w.Value.F64, []float64{1 - lr*(l1+l2), -2 - lr*(-l1-2*l2), 0})
	closeSlices(t, "bias", b.Value.F64, []float64{3, -1})
	closeSlices(t, "norm scale", gamma.Value.F64, []float64{1.5})
	closeSlices(t, "norm shift", beta.Value.F64, []float64{-0.5})

	// A group that asks for every kind penalises biases too; one with "regularize"
	// empty penalises nothing.
	b2 := testParam("b2", graph.Bias, 2)
	w3 := testParam("w3", graph.Weight, 2)
	opt, err := New("sgd", map[string]any{"lr": lr, "l2": l2})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup([]*graph.Param{b2}, map[string]any{"regularize": "all"}); err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup([]*graph.Param{w3}, map[string]any{"regularize": []any{}}); err != nil {
		t.Fatal(err)
	}
	if got, want := opt.Penalty(), 0.5*l2*4; math.Abs(got-want) > 1e-15 {
		t.Errorf("Penalty = %v, want %v", got, want)
	}
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	closeSlices(t, "b2", b2.Value.F64, []float64{2 - lr*l2*2})
	closeSlices(t, "w3", w3.Value.F64, []float64{2})
}

// TestRegularizationIsNotWeightDecay checks that Adam treats an L2 penalty like
// its coupled weight_decay, and that AdamW's decoupled decay differs from both.
func TestRegularizationIsNotWeightDecay(t *testing.T) {
	run := func(name string, opts map[string]any) []float64 {
		p := testParam("w", graph.Weight, 1, -2, 3)
		opt := newTestOptimizer(t, name, opts, []*graph.Param{p})
		for range 5 {
			copy(p.Grad.F64, []float64{0.3, 0.1, -0.2})
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
		}
		return p.Value.F64
	}
	penalty := run("adam", map[string]any{"lr": 0.1, "l2": 0.5})
	coupled := run("adam", map[string]any{"lr": 0.1, "weight_decay": 0.5})
	decoupled := run("adamw", map[string]any{"lr": 0.1, "weight_decay": 0.5})
	closeSlices(t, "adam l2 vs weight_decay", penalty, coupled)
	if math.Abs(decoupled[0]-coupled[0]) < 1e-3 {
		t.Errorf("AdamW's decoupled decay gave %v, like Adam's coupled %v", decoupled, coupled)
	}
}

func TestParameterGroups(t *testing.T) {
	w1 := testParam("w1", graph.Weight, 1, 2)
	w2 := testParam("w2", graph.Weight, 1, 2)
	frozen := testParam("w3", graph.Weight, 1, 2)
	opt, err := New("sgd", map[string]any{"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01, "l2": 0.2})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		p         *graph.Param
		overrides map[string]any
	}{
		{w1, nil},
		{w2, map[string]any{"lr": 0.3, "weight_decay": 0, "l1": 0.05, "l2": 0}},
		{frozen, map[string]any{"lr": 0}},
	} {
		if err := opt.AddGroup([]*graph.Param{g.p}, g.overrides); err != nil {
			t.Fatal(err)
		}
	}
	if opt.NumGroups() != 3 || opt.LR(0) != 0.1 || opt.LR(1) != 0.3 || opt.LR(2) != 0 {
		t.Fatalf("groups: %d with rates %v %v %v", opt.NumGroups(), opt.LR(0), opt.LR(1), opt.LR(2))
	}
	grad := []float64{0.5, -1}
	// Plain momentum SGD per group, the way torch.optim.SGD defines it.
	want := func(lr, wd, l1, l2 float64, steps int) []float64 {
		x := []float64{1, 2}
		buf := make([]float64, 2)
		for s := range steps {
			for i := range x {
				d := grad[i] + l1*math.Copysign(1, x[i]) + l2*x[i] + wd*x[i]
				if s == 0 {
					buf[i] = d
				} else {
					buf[i] = 0.5*buf[i] + d
				}
				x[i] -= lr * buf[i]
			}
		}
		return x
	}
	for range 3 {
		for _, p := range []*graph.Param{w1, w2, frozen} {
			copy(p.Grad.F64, grad)
		}
		if err := opt.Step(); err != nil {
			t.Fatal(err)
		}
	}
	closeSlices(t, "group 0", w1.Value.F64, want(0.1, 0.01, 0, 0.2, 3))
	closeSlices(t, "group 1", w2.Value.F64, want(0.3, 0, 0.05, 0, 3))
	closeSlices(t, "frozen group", frozen.Value.F64, []float64{1, 2})
}

// TestNilGradientIsSkipped checks that a parameter without a gradient keeps its
// value and its step count, as PyTorch skips a parameter whose grad is None.
func TestNilGradientIsSkipped(t *testing.T) {
	a := testParam("a", graph.Weight, 1)
	b := testParam("b", graph.Weight, 1)
	b.Grad = nil
	opt := newTestOptimizer(t, "adam", map[string]any{"lr": 0.1}, []*graph.Param{a, b})
	a.Grad.F64[0] = 1
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	if b.Value.F64[0] != 1 || a.Value.F64[0] == 1 {
		t.Errorf("a = %v (want moved), b = %v (want 1)", a.Value.F64[0], b.Value.F64[0])
	}
	if st := mustState(t, opt); st.Groups[0].Params[0].Step != 1 || st.Groups[0].Params[1].Step != 0 {
		t.Errorf("steps %d and %d, want 1 and 0", st.Groups[0].Params[0].Step, st.Groups[0].Params[1].Step)
	}
}

func TestClipGradNorm(t *testing.T) {
	for _, maxNorm := range []float64{1, 100} {
		a := testParam("a", graph.Weight, 0, 0)
		b := testParam("b", graph.Bias, 0)
		opt := newTestOptimizer(t, "sgd", map[string]any{"lr": 1, "clip_grad_norm": maxNorm}, []*graph.Param{a, b})
		copy(a.Grad.F64, []float64{3, -4})
		b.Grad.F64[0] = 12
		if err := opt.Step(); err != nil {
			t.Fatal(err)
		}
		scale := 1.0
		if norm := 13.0; norm > maxNorm { // √(3² + 4² + 12²): the norm over both parameters
			scale = maxNorm / (norm + 1e-6)
		}
		closeSlices(t, "clipped gradient", append(a.Grad.F64, b.Grad.F64...), []float64{3 * scale, -4 * scale, 12 * scale})
		closeSlices(t, "updated value", append(a.Value.F64, b.Value.F64...), []float64{-3 * scale, 4 * scale, -12 * scale})
	}
}

// TestClipGradValue checks that clipping by value runs after the penalty
// gradient is added and before clipping by norm.
func TestClipGradValue(t *testing.T) {
	w := testParam("w", graph.Weight, 2, -1, 0.5)
	opt := newTestOptimizer(t, "sgd", map[string]any{"lr": 1, "l2": 1, "clip_grad_value": 1.5, "clip_grad_norm": 2}, []*graph.Param{w})
	copy(w.Grad.F64, []float64{0.25, -3, 0.5})
	if err := opt.Step(); err != nil {
		t.Fatal(err)
	}
	withPenalty := []float64{0.25 + 2, -3 - 1, 0.5 + 0.5}
	clamped := make([]float64, 3)
	norm := 0.0
	for i, g := range withPenalty {
		clamped[i] = math.Max(-1.5, math.Min(1.5, g))
		norm += clamped[i] * clamped[i]
	}
	scale := 2 / (math.Sqrt(norm) + 1e-6)
	for i := range clamped {
		clamped[i] *= scale
	}
	closeSlices(t, "gradient", w.Grad.F64, clamped)
	closeSlices(t, "value", w.Value.F64, []float64{2 - clamped[0], -1 - clamped[1], 0.5 - clamped[2]})
}

// TestNonFiniteGradient checks that a NaN or Inf gradient is reported by
// parameter name and leaves parameters and state exactly as they were, whether
// the step fails or is skipped, and that training continues after a skip as if
// the bad step had never been tried.
func TestNonFiniteGradient(t *testing.T) {
	for _, skip := range []bool{false, true} {
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			a := testParam("a", graph.Weight, 1, 2)
			b := testParam("layer.bias", graph.Bias, 3, 4)
			opt := newTestOptimizer(t, "adam", map[string]any{"lr": 0.1, "l1": 0.01, "clip_grad_norm": 0.5, "skip_nonfinite": skip}, []*graph.Param{a, b})
			ref := testParam("a", graph.Weight, 1, 2)
			refB := testParam("layer.bias", graph.Bias, 3, 4)
			refOpt := newTestOptimizer(t, "adam", map[string]any{"lr": 0.1, "l1": 0.01, "clip_grad_norm": 0.5}, []*graph.Param{ref, refB})
			good := func(ps ...*graph.Param) {
				copy(ps[0].Grad.F64, []float64{0.5, -0.5})
				copy(ps[1].Grad.F64, []float64{1, 2})
			}
			good(a, b)
			good(ref, refB)
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
			if err := refOpt.Step(); err != nil {
				t.Fatal(err)
			}
			before := mustState(t, opt)
			values := append(append([]float64(nil), a.Value.F64...), b.Value.F64...)

			good(a, b)
			b.Grad.F64[1] = bad
			err := opt.Step()
			var nf *NonFiniteError
			if !errors.As(err, &nf) || nf.Param != "layer.bias" || nf.Skipped != skip {
				t.Fatalf("skip=%v, gradient %v: error %v, want a NonFiniteError for layer.bias", skip, bad, err)
			}
			if !reflect.DeepEqual(mustState(t, opt), before) {
				t.Errorf("skip=%v: state changed by a rejected step", skip)
			}
			if got := append(append([]float64(nil), a.Value.F64...), b.Value.F64...); !reflect.DeepEqual(got, values) {
				t.Errorf("skip=%v: values %v changed to %v by a rejected step", skip, values, got)
			}

			good(a, b)
			good(ref, refB)
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
			if err := refOpt.Step(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Value.F64, ref.Value.F64) || !reflect.DeepEqual(b.Value.F64, refB.Value.F64) {
				t.Errorf("skip=%v: after the rejected step %v %v, want %v %v", skip, a.Value.F64, b.Value.F64, ref.Value.F64, refB.Value.F64)
			}
		}
	}
}

func TestGradientMismatchIsAnError(t *testing.T) {
	p := testParam("w", graph.Weight, 1, 2)
	opt := newTestOptimizer(t, "sgd", map[string]any{"lr": 0.1}, []*graph.Param{p})
	p.Grad = graph.NewBuffer(tensor.Float32, 2)
	if err := opt.Step(); err == nil {
		t.Error("a float32 gradient for a float64 parameter was accepted")
	}
	p.Grad = graph.NewBuffer(testDtype, 3)
	if err := opt.Step(); err == nil {
		t.Error("a gradient of 3 values for a parameter of 2 was accepted")
	}
}

// TestStepDeterministicAcrossGOMAXPROCS runs a multi-chunk float32 model with
// clipping (a cross-chunk reduction) under 1 and 4 goroutines.
func TestStepDeterministicAcrossGOMAXPROCS(t *testing.T) {
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		params := benchModel(100_003)
		opt := newTestOptimizer(t, "adam", map[string]any{"lr": 1e-3, "amsgrad": true, "clip_grad_norm": 1, "l2": 1e-4}, params)
		for range 3 {
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
		}
		var out []float32
		for _, p := range params {
			out = append(out, p.Value.F32...)
		}
		return out
	}
	one, four := run(1), run(4)
	for i := range one {
		if one[i] != four[i] {
			t.Fatalf("element %d: %v with 1 goroutine, %v with 4", i, one[i], four[i])
		}
	}
}

// TestStepAllocatesNothingPerElement checks that a step's allocations (the
// goroutine closures of the parallel kernels) do not grow with the model.
func TestStepAllocatesNothingPerElement(t *testing.T) {
	allocs := func(n int) float64 {
		opt := newTestOptimizer(t, "adam", map[string]any{"lr": 1e-3, "l1": 1e-4, "clip_grad_norm": 1}, benchModel(n))
		return testing.AllocsPerRun(3, func() {
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(1000), allocs(1_000_000)
	// A 1M-parameter step allocating even one slot per chunk of elements would
	// show up here; the closures and goroutines cost a few dozen allocations.
	if large > small+200 {
		t.Errorf("a step allocates %v times for 1M parameters, %v for 1000", large, small)
	}
}
