package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// poolTestShapes cover the specialised 2×2/2 case (also on odd sizes, where the
// last row and column are dropped), overlapping windows, padding, rectangular
// windows and strides.
var poolTestShapes = []PoolShape{
	{N: 2, C: 3, H: 6, W: 6, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 1, C: 2, H: 7, W: 5, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{N: 1, C: 2, H: 7, W: 5, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
	{N: 2, C: 2, H: 6, W: 7, KH: 3, KW: 2, StrideH: 1, StrideW: 1},
	{N: 2, C: 1, H: 9, W: 8, KH: 4, KW: 3, StrideH: 3, StrideW: 2, PadH: 2, PadW: 1},
	{N: 3, C: 2, H: 5, W: 5, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2},
	{N: 2, C: 2, H: 5, W: 37, KH: 2, KW: 2, StrideH: 2, StrideW: 2}, // 16 outputs per row and 2 more
	{N: 1, C: 3, H: 4, W: 64, KH: 2, KW: 2, StrideH: 2, StrideW: 2}, // exactly two blocks of 16
}

func (s PoolShape) String() string {
	return fmt.Sprintf("N%dC%dH%dW%d_k%dx%d_st%dx%d_pad%dx%d", s.N, s.C, s.H, s.W, s.KH, s.KW, s.StrideH, s.StrideW, s.PadH, s.PadW)
}

// poolWindows calls fn for every output index with the input indices of its
// window (padding left out) and the window's size counting padding, written out
// from the definition.
func poolWindows(s PoolShape, fn func(yi int, xis []int, size int)) {
	oh, ow := s.OutH(), s.OutW()
	for p := 0; p < s.N*s.C; p++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				var xis []int
				size := 0
				for r := 0; r < s.KH; r++ {
					for q := 0; q < s.KW; q++ {
						ih, iw := i*s.StrideH-s.PadH+r, j*s.StrideW-s.PadW+q
						if ih >= s.H+s.PadH || iw >= s.W+s.PadW {
							continue // beyond the padded input
						}
						size++
						if ih >= 0 && ih < s.H && iw >= 0 && iw < s.W {
							xis = append(xis, (p*s.H+ih)*s.W+iw)
						}
					}
				}
				fn((p*oh+i)*ow+j, xis, size)
			}
		}
	}
}

// naiveMaxPool returns y and dx with PyTorch's rule: scanning the window in row
// order, a value replaces the best so far when greater or NaN.
func naiveMaxPool(s PoolShape, x, dy []float64) (y, dx []float64) {
	y = make([]float64, s.N*s.C*s.OutH()*s.OutW())
	dx = make([]float64, len(x))
	poolWindows(s, func(yi int, xis []int, _ int) {
		best, at := math.Inf(-1), xis[0]
		for _, xi := range xis {
			if x[xi] > best || math.IsNaN(x[xi]) {
				best, at = x[xi], xi
			}
		}
		y[yi] = best
		dx[at] += dy[yi]
	})
	return y, dx
}

func naiveAvgPool(s PoolShape, x, dy []float64) (y, dx []float64) {
	y = make([]float64, s.N*s.C*s.OutH()*s.OutW())
	dx = make([]float64, len(x))
	poolWindows(s, func(yi int, xis []int, size int) {
		for _, xi := range xis {
			y[yi] += x[xi] / float64(size)
			dx[xi] += dy[yi] / float64(size)
		}
	})
	return y, dx
}

func runPool[T Float](s PoolShape, x, dy []float64, maxPool bool) (y, dx []T) {
	y, dx = make([]T, len(dy)), make([]T, len(x))
	for i := range dx {
		dx[i] = 99 // must be overwritten
	}
	if maxPool {
		MaxPool2DForward(s, asType[T](x), y)
		MaxPool2DBackward(s, asType[T](x), asType[T](dy), dx)
	} else {
		AvgPool2DForward(s, asType[T](x), y)
		AvgPool2DBackward(s, asType[T](dy), dx)
	}
	return y, dx
}

// randomPoolInput draws either distinct values or small integers and signed
// zeros, which tie often and so test which maximum the gradient goes to.
func randomPoolInput(rng *rand.Rand, n int, ties bool) []float64 {
	x := uniformSlice(rng, n, -1, 1)
	if ties {
		for i := range x {
			x[i] = math.Round(3 * x[i]) // −0 for x in (−1/6, 0)
		}
	}
	return x
}

func testPoolMatchesNaive[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	rtol, atol := typeTolerance[T]()
	for _, s := range poolTestShapes {
		if err := s.Validate(); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		for _, ties := range []bool{false, true} {
			// Round to T first: the maximum is then exact.
			x := toFloat64s(asType[T](randomPoolInput(rng, s.N*s.C*s.H*s.W, ties)))
			dy := uniformSlice(rng, s.N*s.C*s.OutH()*s.OutW(), -1, 1)
			name := fmt.Sprintf("%v ties=%t", s, ties)
			wantY, wantDx := naiveMaxPool(s, x, dy)
			y, dx := runPool[T](s, x, dy, true)
			expectClose(t, name+" max y", y, wantY, 0, 0)
			expectClose(t, name+" max dx", dx, wantDx, rtol, atol)
			wantY, wantDx = naiveAvgPool(s, x, dy)
			y, dx = runPool[T](s, x, dy, false)
			expectClose(t, name+" avg y", y, wantY, rtol, atol)
			expectClose(t, name+" avg dx", dx, wantDx, rtol, atol)
		}
	}
}

func TestPoolMatchesNaiveFloat64(t *testing.T) { testPoolMatchesNaive[float64](t) }
func TestPoolMatchesNaiveFloat32(t *testing.T) { testPoolMatchesNaive[float32](t) }

// A NaN in a window wins the forward pass and takes the gradient (the last NaN
// in window order, as in PyTorch), in the general and the 2×2 loops; infinities
// are ordinary values.
func testMaxPoolSpecialValues[T Float](t *testing.T) {
	for _, s := range poolTestShapes {
		for _, special := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			x := randomPoolInput(rand.New(rand.NewPCG(22, 23)), s.N*s.C*s.H*s.W, false)
			x[s.W], x[s.W+1], x[s.W+3], x[2*s.W] = special, special, special, special
			x[len(x)-s.W-1] = special // in the last window of a wide plane
			x = toFloat64s(asType[T](x))
			dy := uniformSlice(rand.New(rand.NewPCG(24, 25)), s.N*s.C*s.OutH()*s.OutW(), -1, 1)
			wantY, wantDx := naiveMaxPool(s, x, dy)
			y, dx := runPool[T](s, x, dy, true)
			for i := range wantY {
				if math.IsNaN(wantY[i]) != math.IsNaN(float64(y[i])) || !math.IsNaN(wantY[i]) && float64(y[i]) != wantY[i] {
					t.Fatalf("%v with %v: y[%d] = %v, want %v", s, special, i, y[i], wantY[i])
				}
			}
			rtol, atol := typeTolerance[T]()
			expectClose(t, fmt.Sprintf("%v with %v: dx", s, special), dx, wantDx, rtol, atol)
		}
	}
}

func TestMaxPoolSpecialValuesFloat64(t *testing.T) { testMaxPoolSpecialValues[float64](t) }
func TestMaxPoolSpecialValuesFloat32(t *testing.T) { testMaxPoolSpecialValues[float32](t) }

// −0 and +0 are equal maxima: the gradient goes to the first, in both loops.
func TestMaxPoolSignedZeroTie(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, s := range []PoolShape{
		{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, StrideH: 2, StrideW: 2},
		{N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, StrideH: 1, StrideW: 1},
	} {
		for _, x := range [][]float64{{negZero, 0, -1, -2}, {-1, 0, negZero, -2}, {-3, -1, negZero, 0}} {
			_, wantDx := naiveMaxPool(s, x, []float64{1})
			_, dx := runPool[float32](s, x, []float64{1}, true)
			expectClose(t, fmt.Sprintf("%v x=%v", s, x), dx, wantDx, 0, 0)
		}
	}
}

// The gradients are those of the forward kernels: central differences of Σ g·y
// (max pooling on distinct values, away from ties).
func TestPoolGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(26, 27))
	for _, s := range poolTestShapes {
		x := randomPoolInput(rng, s.N*s.C*s.H*s.W, false)
		g := uniformSlice(rng, s.N*s.C*s.OutH()*s.OutW(), -1, 1)
		for _, maxPool := range []bool{true, false} {
			_, dx := runPool[float64](s, x, g, maxPool)
			loss := func() float64 {
				y := make([]float64, len(g))
				if maxPool {
					MaxPool2DForward(s, x, y)
				} else {
					AvgPool2DForward(s, x, y)
				}
				return dot(y, g)
			}
			expectClose(t, fmt.Sprintf("%v max=%t dx", s, maxPool), dx, finiteDifference(x, 1e-6, loss), 1e-6, 1e-8)
		}
	}
}

func TestPoolDeterministicAcrossGOMAXPROCS(t *testing.T) {
	s := PoolShape{N: 8, C: 16, H: 30, W: 30, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
	rng := rand.New(rand.NewPCG(28, 29))
	x := asType[float32](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
	dy := asType[float32](uniformSlice(rng, s.N*s.C*s.OutH()*s.OutW(), -1, 1))
	var results [2][4][]float32
	for i, procs := range []int{1, 2} {
		atProcs(procs, func() {
			r := [4][]float32{make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(dy)), make([]float32, len(x))}
			MaxPool2DForward(s, x, r[0])
			MaxPool2DBackward(s, x, dy, r[1])
			AvgPool2DForward(s, x, r[2])
			AvgPool2DBackward(s, dy, r[3])
			results[i] = r
		})
	}
	for j, name := range []string{"max y", "max dx", "avg y", "avg dx"} {
		expectIdentical(t, name, results[0][j], results[1][j])
	}
}

func TestPoolShapeValidate(t *testing.T) {
	good := poolTestShapes[2]
	if good.OutH() != 4 || good.OutW() != 3 {
		t.Fatalf("%v: output %d×%d, want 4×3", good, good.OutH(), good.OutW())
	}
	cases := []struct {
		want   string
		modify func(*PoolShape)
	}{
		{"N", func(s *PoolShape) { s.N = 0 }},
		{"W", func(s *PoolShape) { s.W = 0 }},
		{"KH", func(s *PoolShape) { s.KH = 0 }},
		{"StrideW", func(s *PoolShape) { s.StrideW = -2 }},
		{"PadW", func(s *PoolShape) { s.PadW = -1 }},
		{"padding", func(s *PoolShape) { s.PadH = 2 }},
		{"does not fit", func(s *PoolShape) { s.KW, s.PadW = 8, 0 }},
	}
	for _, tc := range cases {
		s := good
		tc.modify(&s)
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", s, err, tc.want)
		}
	}
}

// LeNet's first pooling: 2×2/2 over the 64×32×24×24 output of conv1; and a
// ResNet-style 3×3/2 pooling with padding.
var poolBenchShapes = []struct {
	name string
	s    PoolShape
}{
	{"lenet_64x32x24x24_2x2s2", PoolShape{N: 64, C: 32, H: 24, W: 24, KH: 2, KW: 2, StrideH: 2, StrideW: 2}},
	{"64x32x24x24_3x3s2p1", PoolShape{N: 64, C: 32, H: 24, W: 24, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}},
}

// benchmarkPool reports the bandwidth of a kernel that reads or writes inputSized
// tensors of the input's size and one of the output's.
func benchmarkPool(b *testing.B, inputSized int, run func(s PoolShape, x, y []float32)) {
	for _, tc := range poolBenchShapes {
		b.Run(tc.name, func(b *testing.B) {
			s := tc.s
			rng := rand.New(rand.NewPCG(1, 1))
			x := asType[float32](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
			y := asType[float32](uniformSlice(rng, s.N*s.C*s.OutH()*s.OutW(), -1, 1))
			for b.Loop() {
				run(s, x, y)
			}
			reportBandwidth(b, 4*(inputSized*len(x)+len(y)))
		})
	}
}

func BenchmarkMaxPool2DForward(b *testing.B) {
	benchmarkPool(b, 1, func(s PoolShape, x, y []float32) { MaxPool2DForward(s, x, y) })
}

func BenchmarkMaxPool2DBackward(b *testing.B) {
	dx := make([]float32, 64*32*24*24)
	benchmarkPool(b, 2, func(s PoolShape, x, dy []float32) { MaxPool2DBackward(s, x, dy, dx) })
}

func BenchmarkAvgPool2DForward(b *testing.B) {
	benchmarkPool(b, 1, func(s PoolShape, x, y []float32) { AvgPool2DForward(s, x, y) })
}

func BenchmarkAvgPool2DBackward(b *testing.B) {
	benchmarkPool(b, 1, func(s PoolShape, dx, dy []float32) { AvgPool2DBackward(s, dy, dx) })
}
