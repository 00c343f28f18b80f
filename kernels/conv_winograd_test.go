package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convWinogradShapes run their float32 forward pass by Winograd's F(4, 5)
// where the CPU has the assembly: LeNet's conv2 with more groups of images
// than lanes and a short last group (9 images, 8 a group), one channel and
// one filter row, and 16 high planes (12 output rows, three blocks).
var convWinogradShapes = []ConvShape{
	{N: 9, C: 32, H: 12, W: 12, K: 64, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 20, C: 1, H: 12, W: 12, K: 4, R: 1, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 5, H: 16, W: 12, K: 8, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
}

func TestConvWinogradShapes(t *testing.T) {
	if !winogradAsm {
		t.Skip("no Winograd assembly")
	}
	for _, s := range convWinogradShapes {
		if !winogradConv(s) {
			t.Errorf("%v: not by Winograd", s)
		}
	}
	lenet := convWinogradShapes[0]
	for _, edit := range []func(*ConvShape){
		func(s *ConvShape) { s.W = 13 },
		func(s *ConvShape) { s.S = 3 },
		func(s *ConvShape) { s.PadH = 1 },
		func(s *ConvShape) { s.StrideH, s.StrideW = 2, 2 },
		func(s *ConvShape) { s.K = 62 },
		func(s *ConvShape) { s.H = 13 },
		func(s *ConvShape) { s.Groups = 2 },
		func(s *ConvShape) { s.DilationW = 2; s.W = 16 },
	} {
		s := lenet
		edit(&s)
		if winogradConv(s) {
			t.Errorf("%v: by Winograd", s)
		}
	}
}

// The Winograd forward pass matches the definition within float32's
// tolerance for sums of C·R·S products, with and without bias, whatever the
// workspace held (runConv fills it with 1e30), and gives the same bits on
// one and two procs.
func TestConvWinogradMatchesNaive(t *testing.T) {
	if !winogradAsm {
		t.Skip("no Winograd assembly")
	}
	rng := rand.New(rand.NewPCG(18, 19))
	rtol, atol := typeTolerance[float32]()
	for _, s := range convWinogradShapes {
		c := newConvCase(rng, s)
		terms := math.Sqrt(float64(s.C * s.R * s.S))
		for _, withBias := range []bool{true, false} {
			var bias []float64
			if withBias {
				bias = c.bias
			}
			var ys [2][]float32
			for i, procs := range []int{1, 2} {
				atProcs(procs, func() { ys[i], _, _, _ = runConv[float32](c, withBias) })
			}
			name := fmt.Sprintf("%v bias=%t", s, withBias)
			expectIdentical(t, name+" y on 1 and 2 procs", ys[0], ys[1])
			expectClose(t, name+" y", ys[0], naiveConvForward(s, c.x, c.w, bias), rtol, atol*terms)
		}
	}
}

// The transforms are an F(4, 5) algorithm: in float64, Aᵀ[(G·g) ⊙ (Bᵀ·d)]
// is the correlation of d with g to rounding.
func TestWinogradTransforms(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	d, g := uniformSlice(rng, winogradPoints, -1, 1), uniformSlice(rng, winogradTaps, -1, 1)
	var prod [winogradPoints]float64
	for p := range prod {
		var gp, dp float64
		for j, v := range g {
			gp += winogradG[p][j] * v
		}
		for j, v := range d {
			dp += winogradBT[p][j] * v
		}
		prod[p] = gp * dp
	}
	for o := range winogradTile {
		var got, want float64
		for p, v := range prod {
			got += winogradAT[o][p] * v
		}
		for j, v := range g {
			want += v * d[o+j]
		}
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("output %d: %v, want %v", o, got, want)
		}
	}
}
