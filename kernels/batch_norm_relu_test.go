package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// reluShapes add rows longer than reluPiece to bnShapes: one ending in a piece
// shorter than the assembly's shortest row, one in a long piece.
var reluShapes = append(bnShapes[:len(bnShapes):len(bnShapes)], [3]int{2, 3, reluPiece + 6}, [3]int{2, 2, 2*reluPiece + 100})

// The fused batch norm + ReLU agrees with its composition, batch norm then
// ReLU (forward) and ReLU's gradient from the fused output then batch norm's
// gradient (backward), in training and evaluation: the recomputed mask is the
// forward output's.
func testBatchNormReluMatchesComposition[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(52, 53))
	rtol, atol := typeTolerance[T]()
	for _, s := range reluShapes {
		n, c, l := s[0], s[1], s[2]
		b := newBNCase(rng, n, c, l)
		x, g := asType[T](b.x), asType[T](b.g)
		gamma, beta := asType[T](b.gamma), asType[T](b.beta)
		mean, variance := make([]T, c), make([]T, c)
		BatchNormStats(n, c, l, x, mean, variance)
		for _, stats := range []struct {
			name           string
			mean, variance []T
		}{{"batch", mean, variance}, {"running", asType[T](b.runMean), asType[T](b.runVar)}} {
			name := fmt.Sprintf("%dx%dx%d %s", n, c, l, stats.name)
			p := BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: stats.mean, Variance: stats.variance, Eps: T(b.eps)}

			y, want := make([]T, len(x)), make([]T, len(x))
			BatchNormReluForward(n, c, l, x, p, y)
			BatchNormForwardEval(n, c, l, x, gamma, beta, p.Mean, p.Variance, p.Eps, want)
			ReluForward(want, want)
			expectClose(t, name+" y", y, toFloat64s(want), 1e-6, 1e-6)

			masked := make([]T, len(x))
			ReluBackward(y, g, masked)
			invStd := make([]T, c)
			for ch, v := range p.Variance {
				invStd[ch] = T(1 / math.Sqrt(float64(v)+b.eps))
			}
			dx, dgamma, dbeta := make([]T, len(x)), make([]T, c), make([]T, c)
			wantDx, wantDgamma, wantDbeta := make([]T, len(x)), make([]T, c), make([]T, c)
			BatchNormReluBackward(n, c, l, x, p, g, invStd, dx, dgamma, dbeta)
			BatchNormBackward(n, c, l, x, gamma, masked, p.Mean, invStd, wantDx, wantDgamma, wantDbeta)
			expectClose(t, name+" dgamma", dgamma, toFloat64s(wantDgamma), rtol, atol)
			expectClose(t, name+" dbeta", dbeta, toFloat64s(wantDbeta), rtol, atol)
			expectClose(t, name+" dx", dx, toFloat64s(wantDx), rtol, atol)

			fromSums := make([]T, len(x))
			BatchNormReluBackwardData(n, c, l, x, p, g, invStd, dgamma, dbeta, fromSums)
			expectClose(t, name+" dx from the sums", fromSums, toFloat64s(dx), rtol, atol)

			BatchNormReluBackwardEval(n, c, l, x, p, g, dx)
			BatchNormBackwardEval(n, c, l, gamma, p.Variance, p.Eps, masked, wantDx)
			expectClose(t, name+" dx in evaluation", dx, toFloat64s(wantDx), rtol, atol)
		}
	}
}

func TestBatchNormReluFloat32(t *testing.T) { testBatchNormReluMatchesComposition[float32](t) }
func TestBatchNormReluFloat64(t *testing.T) { testBatchNormReluMatchesComposition[float64](t) }

// The ReLU epilogues give the same bits as the sum or bias add followed by
// ReluForward, NaN and signed zeros included.
func testReluEpilogues[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(54, 55))
	for _, size := range [][2]int{{1, 1}, {3, 17}, {64, 256}, {5, 5000}} {
		n, c := size[0], size[1]
		a, b := asType[T](uniformSlice(rng, n*c, -1, 1)), asType[T](uniformSlice(rng, n*c, -1, 1))
		a[0], b[0] = T(math.NaN()), 1
		if n*c > 2 {
			a[1], b[1] = T(math.Copysign(0, -1)), 0
			a[2], b[2] = -1, 1
		}
		got, want := make([]T, n*c), make([]T, n*c)
		AddRelu(a, b, got)
		Add(a, b, want)
		ReluForward(want, want)
		expectIdentical(t, fmt.Sprint("add relu ", n*c), got, want)

		bias := b[:c]
		copy(got, a)
		copy(want, a)
		BiasAddReluRows(n, c, bias, got)
		BiasAddNCL(n, c, 1, bias, want)
		ReluForward(want, want)
		expectIdentical(t, fmt.Sprintf("bias add relu %dx%d", n, c), got, want)
	}
}

func TestReluEpiloguesFloat32(t *testing.T) { testReluEpilogues[float32](t) }
func TestReluEpiloguesFloat64(t *testing.T) { testReluEpilogues[float64](t) }
