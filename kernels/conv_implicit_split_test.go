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
