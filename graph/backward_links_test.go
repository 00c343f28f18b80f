package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A small ResNet (a stem, a residual block, a downsampling block with a
// 1×1 shortcut; 8 images, so that every pass runs on all its lanes and the
// buffer plan reuses storage) gets the same loss and gradients, bit for
// bit, with its backward steps linked (backward_links.go) and without,
// run after run, in float32 and float64.
func TestBackwardLinksChangeNoBits(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, input := range []ParamKind{Weight, State} { // the stem with a data step, or the filter step alone
			t.Run(fmt.Sprint(dt, "/input-", input), func(t *testing.T) {
				testBackwardLinks(t, dt, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
					return smallResNet(h, rng, input)
				}, expectLinks)
			})
		}
		// LeNet's first block: the fused batch norm, ReLU and pooling's input
		// gradient computed by the first convolution's filter step, on
		// shift planes in float32 (groups of one 16×16 output, and of three
		// 8×8 ones).
		for _, hw := range []int{20, 12} {
			t.Run(fmt.Sprint(dt, "/lenet-", hw), func(t *testing.T) {
				testBackwardLinks(t, dt, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
					return smallLeNet(h, rng, hw)
				}, expectPoolLink)
			})
		}
	}
}

func testBackwardLinks(t *testing.T, dt tensor.Dtype, build func(*opHarness, *rand.Rand) (*gorgonia.Node, error), expect func(*testing.T, *Program)) {
	results := map[bool][]float64{}
	for _, link := range []bool{false, true} {
		linkBackward = link
		h := newHarness(t, dt)
		out, err := build(h, rand.New(rand.NewPCG(3, 4)))
		if err != nil {
			t.Fatal(err)
		}
		h.finish(out, randVals(rand.New(rand.NewPCG(5, 6)), ShapeSize(out.Shape())))
		p := h.program(true)
		if link {
			expect(t, p)
		}
		if err := (CPU{}).Run(p, 1); err != nil { // storage reused from the first run
			t.Fatal(err)
		}
		results[link] = append(results[link], p.Loss.At(0))
		for _, param := range h.model.Params {
			if param.Trainable() {
				for i := range param.Grad.Len() {
					results[link] = append(results[link], param.Grad.At(i))
				}
			}
		}
	}
	linkBackward = true
	off, on := results[false], results[true]
	if len(off) != len(on) || len(on) < 1000 {
		t.Fatalf("%d values linked, %d not", len(on), len(off))
	}
	for i := range on {
		if on[i] != off[i] {
			t.Fatalf("value %d: %v linked, %v not", i, on[i], off[i])
		}
	}
}

// smallResNet builds a stem convolution of 3×12×12 images (an argument of
// kind input) to 8 channels with batch norm and ReLU, a residual block of 8
// channels and a downsampling one to 16 with a 1×1 convolution and batch
// norm on the shortcut.
func smallResNet(h *opHarness, rng *rand.Rand, input ParamKind) (*gorgonia.Node, error) {
	n := 0
	conv := func(x *gorgonia.Node, c, k, r, stride int) (*gorgonia.Node, error) {
		n++
		w := h.arg(fmt.Sprint("w", n), Weight, randVals(rng, k*c*r*r), k, c, r, r)
		return Conv2D(x, w, nil, ConvOptions{Stride: [2]int{stride, stride}, Padding: [2]int{r / 2, r / 2}})
	}
	bn := func(x *gorgonia.Node, c int, relu bool) (*gorgonia.Node, error) {
		n++
		g := h.arg(fmt.Sprint("gamma", n), NormScale, randVals(rng, c), c)
		b := h.arg(fmt.Sprint("beta", n), NormShift, randVals(rng, c), c)
		rm := h.arg(fmt.Sprint("mean", n), State, make([]float64, c), c)
		ones := make([]float64, c)
		for i := range ones {
			ones[i] = 1
		}
		rv := h.arg(fmt.Sprint("var", n), State, ones, c)
		return BatchNorm(x, g, b, rm, rv, BatchNormOptions{Eps: 1e-5, Momentum: 0.1, ReLU: relu})
	}
	convBN := func(x *gorgonia.Node, c, k, r, stride int, relu bool) (*gorgonia.Node, error) {
		y, err := conv(x, c, k, r, stride)
		if err != nil {
			return nil, err
		}
		return bn(y, k, relu)
	}
	stem, err := convBN(h.arg("x", input, randVals(rng, 8*3*12*12), 8, 3, 12, 12), 3, 8, 3, 1, true)
	if err != nil {
		return nil, err
	}
	y, err := convBN(stem, 8, 8, 3, 1, true)
	if err == nil {
		y, err = convBN(y, 8, 8, 3, 1, false)
	}
	if err == nil {
		y, err = AddReLU(y, stem)
	}
	if err != nil {
		return nil, err
	}
	z, err := convBN(y, 8, 16, 3, 2, true)
	if err == nil {
		z, err = convBN(z, 16, 16, 3, 1, false)
	}
	if err != nil {
		return nil, err
	}
	short, err := convBN(y, 8, 16, 1, 2, false)
	if err != nil {
		return nil, err
	}
	return AddReLU(z, short)
}

// smallLeNet builds LeNet's first block on 8 images of hw×hw (an argument
// of kind state): a 5×5 convolution to 8 channels, the fused batch norm,
// ReLU and 2×2 max pooling, then a 3×3 convolution to 16 channels.
func smallLeNet(h *opHarness, rng *rand.Rand, hw int) (*gorgonia.Node, error) {
	x := h.arg("x", State, randVals(rng, 8*hw*hw), 8, 1, hw, hw)
	w1 := h.arg("w1", Weight, randVals(rng, 8*25), 8, 1, 5, 5)
	y, err := Conv2D(x, w1, nil, ConvOptions{})
	if err != nil {
		return nil, err
	}
	gamma := h.arg("gamma", NormScale, randVals(rng, 8), 8)
	beta := h.arg("beta", NormShift, randVals(rng, 8), 8)
	rm := h.arg("mean", State, make([]float64, 8), 8)
	rv := h.arg("var", State, randVals(rng, 8), 8)
	if y, err = fusedBatchNormReluMaxPool(y, gamma, beta, rm, rv, BatchNormOptions{Eps: 1e-5, Momentum: 0.1}); err != nil {
		return nil, err
	}
	w2 := h.arg("w2", Weight, randVals(rng, 16*8*9), 16, 8, 3, 3)
	return Conv2D(y, w2, nil, ConvOptions{Padding: [2]int{1, 1}})
}

// expectPoolLink checks that p's fused batch norm, ReLU and pooling leaves
// its input gradient to a linked step.
func expectPoolLink(t *testing.T, p *Program) {
	t.Helper()
	for _, s := range p.Steps {
		if k, ok := s.k.(bnPoolGradKernel); ok && k.linked {
			return
		}
	}
	t.Fatal("the pooled batch norm's input gradient is not linked")
}

// expectLinks checks that p has linked steps of every kind: filter steps,
// batch norm sums and batch norm input gradients.
func expectLinks(t *testing.T, p *Program) {
	t.Helper()
	var filters, sums, data int
	for _, s := range p.Steps {
		switch k := s.k.(type) {
		case convGradFilterKernel:
			if k.linked {
				filters++
			}
		case bnSumsKernel:
			if k.images != nil {
				sums++
			}
		case bnGradKernel:
			if k.linked {
				data++
			}
		}
	}
	if filters == 0 || sums == 0 || data == 0 {
		t.Fatalf("linked: %d filter steps, %d batch norm sums, %d batch norm input gradients", filters, sums, data)
	}
}
