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
			t.Run(fmt.Sprint(dt, "/input-", input), func(t *testing.T) { testBackwardLinks(t, dt, input) })
		}
	}
}

func testBackwardLinks(t *testing.T, dt tensor.Dtype, input ParamKind) {
	results := map[bool][]float64{}
	for _, link := range []bool{false, true} {
		linkBackward = link
		h := newHarness(t, dt)
		out, err := smallResNet(h, rand.New(rand.NewPCG(3, 4)), input)
		if err != nil {
			t.Fatal(err)
		}
		h.finish(out, randVals(rand.New(rand.NewPCG(5, 6)), ShapeSize(out.Shape())))
		p := h.program(true)
		if link {
			expectLinks(t, p)
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
