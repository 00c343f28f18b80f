package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradientSumsInMemoryOrder checks that the backward passes' sums alone
// (taken plane by plane in memory order, then added up per channel) are bit
// for bit those of the channel loops that also compute dx, with and without
// the fused ReLU, for rows of one piece and of several (l > reluPiece).
func TestGradientSumsInMemoryOrder(t *testing.T) {
	testGradientSumsInMemoryOrder[float32](t)
	testGradientSumsInMemoryOrder[float64](t)
}

func testGradientSumsInMemoryOrder[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sh := range [][3]int{{4, 3, 64}, {3, 5, 2*reluPiece + 37}, {2, 2, 7}} {
		n, c, l := sh[0], sh[1], sh[2]
		x := asType[T](uniformSlice(rng, n*c*l, -2, 2))
		dy := asType[T](uniformSlice(rng, n*c*l, -1, 1))
		mean, variance, invStd := make([]T, c), make([]T, c), make([]T, c)
		BatchNormStats(n, c, l, x, mean, variance)
		for ch, v := range variance {
			invStd[ch] = T(1 / math.Sqrt(float64(v)+1e-5))
		}
		gamma, beta := asType[T](uniformSlice(rng, c, 0.5, 1.5)), asType[T](uniformSlice(rng, c, -1, 1))
		p := BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: mean, Variance: variance, Eps: 1e-5}
		dx := make([]T, n*c*l)
		for _, relu := range []bool{false, true} {
			gotG, gotB, wantG, wantB := make([]T, c), make([]T, c), make([]T, c), make([]T, c)
			if relu {
				BatchNormReluBackward(n, c, l, x, p, dy, invStd, nil, gotG, gotB)
				BatchNormReluBackward(n, c, l, x, p, dy, invStd, dx, wantG, wantB)
			} else {
				BatchNormBackward(n, c, l, x, gamma, dy, mean, invStd, nil, gotG, gotB)
				BatchNormBackward(n, c, l, x, gamma, dy, mean, invStd, dx, wantG, wantB)
			}
			for ch := range c {
				if gotG[ch] != wantG[ch] || gotB[ch] != wantB[ch] {
					t.Errorf("%T %v relu=%v channel %d: sums alone (%v, %v), with dx (%v, %v)", T(0), sh, relu, ch, gotG[ch], gotB[ch], wantG[ch], wantB[ch])
				}
			}
		}
	}
}
