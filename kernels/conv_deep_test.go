package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convDeepShapes run as whole-batch GEMMs through the public kernels: one
// chunk, strided or not, channels in 16 pieces.
var convDeepShapes = []ConvShape{
	{N: 2, C: 128, H: 4, W: 4, K: 256, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 64, H: 7, W: 7, K: 512, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
}

// convDeepChunkShapes are too small to run deep on their own; the tests call
// the deep kernels directly: several chunks (the last smaller), channels in
// 8, 2 and 1 pieces, asymmetric strides and padding.
var convDeepChunkShapes = []ConvShape{
	{N: 140, C: 8, H: 4, W: 4, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 97, C: 6, H: 9, W: 8, K: 5, R: 3, S: 2, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 45, C: 3, H: 7, W: 7, K: 9, R: 1, S: 1, StrideH: 1, StrideW: 1, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
}

// runDeep runs the three deep kernels on c in T, like runConv.
func runDeep[T Float](c convCase, withBias bool) (y, dx, dw []T) {
	s := c.s
	work := make([]T, deepWorkspace(s))
	for i := range work {
		work[i] = 1e30
	}
	var bias []T
	if withBias {
		bias = asType[T](c.bias)
	}
	y, dx, dw = make([]T, len(c.g)), make([]T, len(c.x)), make([]T, len(c.w))
	for _, out := range [][]T{y, dx, dw} {
		for i := range out {
			out[i] = -7
		}
	}
	x, w, g := asType[T](c.x), asType[T](c.w), asType[T](c.g)
	deepForward(s, x, w, bias, y, work)
	deepBackwardData(s, w, g, dx, work)
	deepBackwardFilter(s, x, g, dw, work)
	return y, dx, dw
}

// expectConvNaive compares y, dx and dw of c with the float64 definition.
func expectConvNaive[T Float](t *testing.T, c convCase, withBias bool, y, dx, dw []T) {
	t.Helper()
	s := c.s
	var bias []float64
	if withBias {
		bias = c.bias
	}
	rtol, atol := typeTolerance[T]()
	atol *= math.Sqrt(float64(max(s.C*s.R*s.S, s.K, s.N*s.OutH()*s.OutW())))
	name := fmt.Sprintf("%v bias=%t", s, withBias)
	expectClose(t, name+" y", y, naiveConvForward(s, c.x, c.w, bias), rtol, atol)
	expectClose(t, name+" dx", dx, naiveConvBackwardData(s, c.w, c.g), rtol, atol)
	expectClose(t, name+" dw", dw, naiveConvBackwardFilter(s, c.x, c.g), rtol, atol)
}

func testDeepConvMatchesNaive[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	for _, s := range convDeepShapes {
		if !deepConv(s) {
			t.Fatalf("%v does not run deep", s)
		}
		c := newConvCase(rng, s)
		for _, withBias := range []bool{true, false} {
			y, dx, dw, _ := runConv[T](c, withBias)
			expectConvNaive(t, c, withBias, y, dx, dw)
		}
	}
	for _, s := range convDeepChunkShapes {
		if deepChunk(s) >= s.N {
			t.Fatalf("%v runs in one chunk", s)
		}
		c := newConvCase(rng, s)
		for _, withBias := range []bool{true, false} {
			y, dx, dw := runDeep[T](c, withBias)
			expectConvNaive(t, c, withBias, y, dx, dw)
		}
	}
}

func TestDeepConvMatchesNaiveFloat64(t *testing.T) { testDeepConvMatchesNaive[float64](t) }
func TestDeepConvMatchesNaiveFloat32(t *testing.T) { testDeepConvMatchesNaive[float32](t) }

func TestDeepConvDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 33))
	deep, chunked := newConvCase(rng, convDeepShapes[1]), newConvCase(rng, convDeepChunkShapes[0])
	var results [3][6][]float32
	for i, procs := range []int{1, 2, 3} {
		atProcs(procs, func() {
			y, dx, dw, _ := runConv[float32](deep, true)
			cy, cdx, cdw := runDeep[float32](chunked, true)
			results[i] = [6][]float32{y, dx, dw, cy, cdx, cdw}
		})
	}
	for j, name := range []string{"y", "dx", "dw", "chunked y", "chunked dx", "chunked dw"} {
		expectIdentical(t, name, results[0][j], results[1][j])
		expectIdentical(t, name, results[0][j], results[2][j])
	}
}
