package kernels

import (
	"math/rand/v2"
	"testing"
)

func TestSplitImageStride2Float32(t *testing.T) { testSplitImageStride2[float32](t) }
func TestSplitImageStride2Float64(t *testing.T) { testSplitImageStride2[float64](t) }

// splitImageStride2 writes what gatherPhases does, and nothing else, for odd
// and even sizes, pads of both parities and rows of whole chunks and tails
// of either vector.
func testSplitImageStride2[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, hw := range [][2]int{{32, 32}, {16, 16}, {1, 1}, {2, 3}, {7, 5}, {15, 17}, {9, 33}, {4, 48}, {3, 63}, {5, 64}, {6, 70}} {
		for pad := 0; pad <= 2; pad++ {
			for _, rs := range [][2]int{{3, 3}, {2, 2}, {5, 4}} {
				s := ConvShape{N: 1, C: 3, H: hw[0], W: hw[1], K: 8, R: rs[0], S: rs[1], StrideH: 2, StrideW: 2,
					PadH: pad, PadW: (pad + 1) % 3, DilationH: 1, DilationW: 1}
				if s.Validate() != nil {
					continue
				}
				l := newImplicitLayout(s)
				if !splitStride2(s, l) {
					t.Fatalf("%v: not split by stride 2", s)
				}
				x := asType[T](uniformSlice(rng, s.C*s.H*s.W, -1, 1))
				want, got := make([]T, l.xs), make([]T, l.xs)
				for i := range want {
					want[i], got[i] = -7, -7
				}
				gatherPhases(s, l, x, want)
				splitImageStride2(s, l, x, got)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%v: xs[%d] = %v, want %v", s, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func TestInterleaveRowsFloat32(t *testing.T) { testInterleaveRows[float32](t) }
func TestInterleaveRowsFloat64(t *testing.T) { testInterleaveRows[float64](t) }

// interleaveRows puts back the rows deinterleaveRows split, and leaves the
// elements between the rows alone.
func testInterleaveRows[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= 70; n++ {
		const rows = 3
		stride, half := n+5, (n+1)/2+2
		src := asType[T](uniformSlice(rng, rows*stride, -1, 1))
		even, odd := make([]T, rows*half), make([]T, rows*half)
		deinterleaveRows(even, odd, half, src, stride, rows, n)
		got := make([]T, rows*stride)
		for i := range got {
			got[i] = -7
		}
		interleaveRows(got, stride, even, half, odd, half, rows, n)
		for i, v := range got {
			want := src[i]
			if i%stride >= n {
				want = -7
			}
			if v != want {
				t.Fatalf("n = %d: element %d = %v, want %v", n, i, v, want)
			}
		}
	}
}

// convStride2TapsShapes run their backward filter pass in float32 on the
// stride-2 planes by filter rows of 3 taps (implicitFilterPhases), their
// backward data pass by stride phases, written interleaved where an image
// of dx has at most interleavedMaxImage elements: ResNet-8's
// stride-2 3×3s (the first over unevenly filled lanes, the second at batch
// 1), odd inputs, outputs of 16 and 8 columns, 4 filter rows, no padding
// and padding of 2 (without the assembly, the GEMM on the planes).
var convStride2TapsShapes = []ConvShape{
	{N: 5, C: 16, H: 32, W: 32, K: 32, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 1, C: 32, H: 16, W: 16, K: 64, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 31, W: 31, K: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 8, H: 7, W: 32, K: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 16, W: 16, K: 16, R: 4, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 17, W: 17, K: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 14, W: 14, K: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2, DilationH: 1, DilationW: 1},
}

func TestConvStride2TapsShapes(t *testing.T) {
	for _, s := range convStride2TapsShapes {
		small := s.C*s.H*s.W <= interleavedMaxImage
		if filterTapsShape(s) != filterReduceAsm || !implicitFilter[float32](s) || !stridedData(s) || newStridePhases(s).interleaved != small {
			t.Errorf("%v: filter taps %t, implicit filter %t, by phases %t, interleaved %t", s,
				filterTapsShape(s), implicitFilter[float32](s), stridedData(s), newStridePhases(s).interleaved)
		}
	}
}

func TestConvStride2TapsMatchesNaiveFloat32(t *testing.T) {
	testConvMatchesNaive[float32](t, convStride2TapsShapes)
}

func TestConvStride2TapsMatchesNaiveFloat64(t *testing.T) {
	testConvMatchesNaive[float64](t, convStride2TapsShapes)
}
