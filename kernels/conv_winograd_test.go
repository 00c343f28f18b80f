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
// one filter row, 16 high planes (12 output rows, three blocks) and 20
// high ones with channels in blocks of 4 (16 output rows, two blocks of
// plane B); the backward data pass takes the first and the last.
var convWinogradShapes = []ConvShape{
	{N: 9, C: 32, H: 12, W: 12, K: 64, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 20, C: 1, H: 12, W: 12, K: 4, R: 1, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 5, H: 16, W: 12, K: 8, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 6, C: 8, H: 20, W: 12, K: 12, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
}

func TestConvWinogradShapes(t *testing.T) {
	if !winogradAsm {
		t.Skip("no Winograd assembly")
	}
	for _, s := range convWinogradShapes {
		if !winogradConv(s) || winogradFilter(s) != (s.R == 5) || winogradData(s) != (s.R == 5 && s.C%4 == 0 && s.OutH()%8 == 0) {
			t.Errorf("%v: forward by Winograd %t, backward filter %t, data %t", s, winogradConv(s), winogradFilter(s), winogradData(s))
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

// The Winograd passes match the definition within float32's tolerance for
// sums of C·R·S, K·R·S or N·OutH·OutW products, with and without bias,
// whatever the workspace held (runConv fills it with 1e30), and give the
// same bits on one and two procs.
func TestConvWinogradMatchesNaive(t *testing.T) {
	if !winogradAsm {
		t.Skip("no Winograd assembly")
	}
	rng := rand.New(rand.NewPCG(18, 19))
	rtol, atol := typeTolerance[float32]()
	for _, s := range convWinogradShapes {
		c := newConvCase(rng, s)
		terms := math.Sqrt(float64(s.C * s.R * s.S))
		pixels := math.Sqrt(float64(s.N * s.OutH() * s.OutW()))
		for _, withBias := range []bool{true, false} {
			var bias []float64
			if withBias {
				bias = c.bias
			}
			var ys, dxs, dws [2][]float32
			for i, procs := range []int{1, 2} {
				atProcs(procs, func() { ys[i], dxs[i], dws[i], _ = runConv[float32](c, withBias) })
			}
			name := fmt.Sprintf("%v bias=%t", s, withBias)
			expectIdentical(t, name+" y on 1 and 2 procs", ys[0], ys[1])
			expectIdentical(t, name+" dx on 1 and 2 procs", dxs[0], dxs[1])
			expectIdentical(t, name+" dw on 1 and 2 procs", dws[0], dws[1])
			expectClose(t, name+" y", ys[0], naiveConvForward(s, c.x, c.w, bias), rtol, atol*terms)
			expectClose(t, name+" dx", dxs[0], naiveConvBackwardData(s, c.w, c.g), rtol, atol*math.Sqrt(float64(s.K*s.R*s.S)))
			expectClose(t, name+" dw", dws[0], naiveConvBackwardFilter(s, c.x, c.g), rtol, atol*pixels)
		}
	}
}

// The transforms are F(4, 5) and F(5, 4) algorithms: in float64,
// Aᵀ[(G·g) ⊙ (Bᵀ·d)] is the correlation of d with g to rounding.
func TestWinogradTransforms(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	d := uniformSlice(rng, winogradPoints, -1, 1)
	correlation := func(name string, g []float64, gt func(p, j int) float64, at func(o, p int) float64) {
		var prod [winogradPoints]float64
		for p := range prod {
			var gp, dp float64
			for j, v := range g {
				gp += gt(p, j) * v
			}
			for j, v := range d {
				dp += winogradBT[p][j] * v
			}
			prod[p] = gp * dp
		}
		for o := range winogradPoints - len(g) + 1 {
			var got, want float64
			for p, v := range prod {
				got += at(o, p) * v
			}
			for j, v := range g {
				want += v * d[o+j]
			}
			if math.Abs(got-want) > 1e-12 {
				t.Errorf("%s output %d: %v, want %v", name, o, got, want)
			}
		}
	}
	correlation("F(4, 5)", uniformSlice(rng, winogradTaps, -1, 1),
		func(p, j int) float64 { return winogradG[p][j] }, func(o, p int) float64 { return winogradAT[o][p] })
	correlation("F(5, 4)", uniformSlice(rng, winogradTile, -1, 1),
		func(p, j int) float64 { return winogradGradG[p][j] }, func(o, p int) float64 { return winogradTapAT[o][p] })
}
