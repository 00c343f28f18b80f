package graph

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/kernels"
)

// A training batch norm of a convolution's output takes its statistics from
// the row statistics the convolution left: the same bits as from the output
// itself, and gradients that pass a finite-difference check.
func TestBatchNormStatsFromConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := newHarness(t, tensor.Float64)
	x := h.arg("x", Weight, randVals(rng, 2*3*6*5), 2, 3, 6, 5)
	w := h.arg("w", Weight, randVals(rng, 8*3*9), 8, 3, 3, 3)
	y, err := Conv2D(x, w, nil, ConvOptions{Padding: [2]int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	g := h.arg("gamma", Weight, randVals(rng, 8), 8)
	b := h.arg("beta", Bias, randVals(rng, 8), 8)
	rm := h.arg("running_mean", State, make([]float64, 8), 8)
	rv := h.arg("running_var", State, slices.Repeat([]float64{1}, 8), 8)
	out, err := BatchNorm(y, g, b, rm, rv, BatchNormOptions{Eps: 1e-5, Momentum: 0.1, ReLU: true})
	if err != nil {
		t.Fatal(err)
	}
	h.finish(out, randVals(rng, ShapeSize(out.Shape())))
	p := h.program(true)
	linked := 0
	for i, s := range p.Steps {
		stats, ok := s.k.(bnStatsKernel)
		if !ok {
			continue
		}
		if stats.rowStats == nil {
			t.Fatalf("step %d (%s) computes its statistics itself", i, s.Name)
		}
		linked++
		n, c, l := channels(s.In[0].Shape)
		mean, variance := make([]float64, c), make([]float64, c)
		kernels.BatchNormStats(n, c, l, s.In[0].F64, mean, variance)
		if !slices.Equal(s.Out.F64, append(mean, variance...)) {
			t.Errorf("statistics %v, from the output %v %v", s.Out.F64, mean, variance)
		}
	}
	if linked != 1 {
		t.Fatalf("%d statistics steps, want 1", linked)
	}
	h.gradCheck(true, 1e-5)
}
