package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bnShapes are N×C×L views: batch norm 1d (L = 1, the second over several
// column blocks, the last one cut short), 2d, and odd sizes.
var bnShapes = [][3]int{{8, 6, 1}, {70, 300, 1}, {4, 3, 25}, {3, 5, 7}, {2, 1, 2}}

type bnCase struct {
	n, c, l                            int
	x, gamma, beta, runMean, runVar, g []float64
	eps, momentum                      float64
}

func newBNCase(rng *rand.Rand, n, c, l int) bnCase {
	x := uniformSlice(rng, n*c*l, -2, 3)
	for i := range x { // give channels different offsets and spreads
		ch := i / l % c
		x[i] = x[i]*float64(ch+1) + float64(ch)
	}
	return bnCase{
		n: n, c: c, l: l, x: x,
		gamma:   uniformSlice(rng, c, 0.5, 1.5),
		beta:    uniformSlice(rng, c, -1, 1),
		runMean: uniformSlice(rng, c, -0.5, 0.5),
		runVar:  uniformSlice(rng, c, 0.5, 2),
		g:       uniformSlice(rng, n*c*l, -1, 1),
		eps:     1e-5, momentum: 0.1,
	}
}

// naiveBNTrain returns y, the updated running statistics, and the batch mean
// and biased variance, from the definition.
func naiveBNTrain(b bnCase, gamma, beta []float64) (y, runMean, runVar, mean, variance []float64) {
	m := float64(b.n * b.l)
	mean, variance = make([]float64, b.c), make([]float64, b.c)
	at := func(i, ch, j int) int { return (i*b.c+ch)*b.l + j }
	for ch := 0; ch < b.c; ch++ {
		for i := 0; i < b.n; i++ {
			for j := 0; j < b.l; j++ {
				mean[ch] += b.x[at(i, ch, j)] / m
			}
		}
		for i := 0; i < b.n; i++ {
			for j := 0; j < b.l; j++ {
				d := b.x[at(i, ch, j)] - mean[ch]
				variance[ch] += d * d / m
			}
		}
	}
	y = make([]float64, len(b.x))
	runMean, runVar = make([]float64, b.c), make([]float64, b.c)
	for ch := 0; ch < b.c; ch++ {
		g, bt := 1.0, 0.0
		if gamma != nil {
			g, bt = gamma[ch], beta[ch]
		}
		for i := 0; i < b.n; i++ {
			for j := 0; j < b.l; j++ {
				k := at(i, ch, j)
				y[k] = (b.x[k]-mean[ch])/math.Sqrt(variance[ch]+b.eps)*g + bt
			}
		}
		runMean[ch] = (1-b.momentum)*b.runMean[ch] + b.momentum*mean[ch]
		runVar[ch] = (1-b.momentum)*b.runVar[ch] + b.momentum*variance[ch]*m/(m-1)
	}
	return y, runMean, runVar, mean, variance
}

// runBNTrain runs the training forward and backward passes in T.
func runBNTrain[T Float](b bnCase, affine bool) (y, runMean, runVar, mean, invStd, dx, dgamma, dbeta []T) {
	var gamma, beta []T
	if affine {
		gamma, beta = asType[T](b.gamma), asType[T](b.beta)
	}
	x := asType[T](b.x)
	runMean, runVar = asType[T](b.runMean), asType[T](b.runVar)
	y, mean, invStd = make([]T, len(x)), make([]T, b.c), make([]T, b.c)
	BatchNormForwardTrain(b.n, b.c, b.l, x, gamma, beta, T(b.eps), T(b.momentum), runMean, runVar, y, mean, invStd)
	dx, dgamma, dbeta = make([]T, len(x)), make([]T, b.c), make([]T, b.c)
	BatchNormBackward(b.n, b.c, b.l, x, gamma, asType[T](b.g), mean, invStd, dx, dgamma, dbeta)
	return y, runMean, runVar, mean, invStd, dx, dgamma, dbeta
}

func testBatchNormForward[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 31))
	rtol, atol := typeTolerance[T]()
	for _, sh := range bnShapes {
		b := newBNCase(rng, sh[0], sh[1], sh[2])
		for _, affine := range []bool{true, false} {
			name := fmt.Sprintf("%v affine=%t", sh, affine)
			var gamma, beta []float64
			if affine {
				gamma, beta = b.gamma, b.beta
			}
			wantY, wantRM, wantRV, wantMean, wantVar := naiveBNTrain(b, gamma, beta)
			y, rm, rv, mean, invStd, _, _, _ := runBNTrain[T](b, affine)
			expectClose(t, name+" y", y, wantY, 10*rtol, 10*atol)
			expectClose(t, name+" running mean", rm, wantRM, rtol, atol)
			expectClose(t, name+" running var", rv, wantRV, rtol, atol)
			expectClose(t, name+" saved mean", mean, wantMean, rtol, atol)
			wantInvStd := make([]float64, b.c)
			for ch, v := range wantVar {
				wantInvStd[ch] = 1 / math.Sqrt(v+b.eps)
			}
			expectClose(t, name+" saved 1/std", invStd, wantInvStd, rtol, atol)

			// Evaluation: with the running statistics, forward and backward.
			y = make([]T, len(b.x))
			var g, bt []T
			if affine {
				g, bt = asType[T](b.gamma), asType[T](b.beta)
			}
			BatchNormForwardEval(b.n, b.c, b.l, asType[T](b.x), g, bt, asType[T](b.runMean), asType[T](b.runVar), T(b.eps), y)
			dx := make([]T, len(b.x))
			BatchNormBackwardEval(b.n, b.c, b.l, g, asType[T](b.runVar), T(b.eps), asType[T](b.g), dx)
			wantY, wantDx := make([]float64, len(b.x)), make([]float64, len(b.x))
			for k := range wantY {
				ch := k / b.l % b.c
				scale := 1 / math.Sqrt(b.runVar[ch]+b.eps)
				shift := 0.0
				if affine {
					scale *= b.gamma[ch]
					shift = b.beta[ch]
				}
				wantY[k] = (b.x[k]-b.runMean[ch])*scale + shift
				wantDx[k] = b.g[k] * scale
			}
			expectClose(t, name+" eval y", y, wantY, 10*rtol, 10*atol)
			expectClose(t, name+" eval dx", dx, wantDx, rtol, atol)
		}
	}
}

func TestBatchNormForwardFloat64(t *testing.T) { testBatchNormForward[float64](t) }
func TestBatchNormForwardFloat32(t *testing.T) { testBatchNormForward[float32](t) }

// The training-mode backward is the gradient of the training forward pass, the
// path through the batch statistics included: central differences of Σ g·y.
func TestBatchNormBackwardMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 33))
	for _, sh := range bnShapes {
		b := newBNCase(rng, sh[0], sh[1], sh[2])
		for _, affine := range []bool{true, false} {
			name := fmt.Sprintf("%v affine=%t", sh, affine)
			_, _, _, _, _, dx, dgamma, dbeta := runBNTrain[float64](b, affine)
			loss := func() float64 {
				var gamma, beta []float64
				if affine {
					gamma, beta = b.gamma, b.beta
				}
				y, mean, invStd := make([]float64, len(b.x)), make([]float64, b.c), make([]float64, b.c)
				BatchNormForwardTrain(b.n, b.c, b.l, b.x, gamma, beta, b.eps, b.momentum, nil, nil, y, mean, invStd)
				return dot(y, b.g)
			}
			expectClose(t, name+" dx", dx, finiteDifference(b.x, 1e-5, loss), 1e-5, 1e-7)
			if affine {
				expectClose(t, name+" dgamma", dgamma, finiteDifference(b.gamma, 1e-5, loss), 1e-5, 1e-7)
				expectClose(t, name+" dbeta", dbeta, finiteDifference(b.beta, 1e-5, loss), 1e-5, 1e-7)
			}

			// The same results when only some gradients are asked for.
			var gamma []float64
			if affine {
				gamma = b.gamma
			}
			y, mean, invStd := make([]float64, len(b.x)), make([]float64, b.c), make([]float64, b.c)
			BatchNormForwardTrain(b.n, b.c, b.l, b.x, gamma, nil, b.eps, b.momentum, nil, nil, y, mean, invStd)
			onlyDx, onlyDgamma := make([]float64, len(b.x)), make([]float64, b.c)
			BatchNormBackward(b.n, b.c, b.l, b.x, gamma, b.g, mean, invStd, onlyDx, nil, nil)
			BatchNormBackward(b.n, b.c, b.l, b.x, gamma, b.g, mean, invStd, nil, onlyDgamma, nil)
			expectIdentical(t, name+" dx alone", onlyDx, dx)
			expectIdentical(t, name+" dgamma alone", onlyDgamma, dgamma)
		}
	}
}

func TestBatchNormDeterministicAcrossGOMAXPROCS(t *testing.T) {
	t.Run("2d", func(t *testing.T) {
		testBatchNormDeterministic(t, newBNCase(rand.New(rand.NewPCG(34, 35)), 16, 40, 100))
	})
	t.Run("1d", func(t *testing.T) {
		testBatchNormDeterministic(t, newBNCase(rand.New(rand.NewPCG(34, 35)), 20, 2000, 1))
	})
}

func testBatchNormDeterministic(t *testing.T, b bnCase) {
	var results [2][][]float32
	for i, procs := range []int{1, 2} {
		atProcs(procs, func() {
			y, rm, rv, mean, invStd, dx, dgamma, dbeta := runBNTrain[float32](b, true)
			results[i] = [][]float32{y, rm, rv, mean, invStd, dx, dgamma, dbeta}
		})
	}
	for j := range results[0] {
		expectIdentical(t, fmt.Sprint("output ", j), results[0][j], results[1][j])
	}
}

// A batch norm after LeNet's first convolution: 64×32×24×24.
func benchmarkBatchNorm(b *testing.B, tensors int, run func(x, y, gamma, beta, mean, invStd, rm, rv []float32)) {
	n, c, l := 64, 32, 24*24
	rng := rand.New(rand.NewPCG(1, 1))
	x := asType[float32](uniformSlice(rng, n*c*l, -1, 1))
	y := make([]float32, len(x))
	gamma, beta := make([]float32, c), make([]float32, c)
	mean, invStd, rm, rv := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
	fill(gamma, 1)
	fill(invStd, 1)
	fill(rv, 1)
	for b.Loop() {
		run(x, y, gamma, beta, mean, invStd, rm, rv)
	}
	reportBandwidth(b, tensors*4*len(x))
}

func BenchmarkBatchNormForwardTrain(b *testing.B) {
	benchmarkBatchNorm(b, 4, func(x, y, gamma, beta, mean, invStd, rm, rv []float32) { // x read 3 times, y written
		BatchNormForwardTrain(64, 32, 576, x, gamma, beta, 1e-5, 0.1, rm, rv, y, mean, invStd)
	})
}

func BenchmarkBatchNormBackward(b *testing.B) {
	dx, dgamma, dbeta := make([]float32, 64*32*576), make([]float32, 32), make([]float32, 32)
	benchmarkBatchNorm(b, 5, func(x, dy, gamma, _, mean, invStd, _, _ []float32) { // x, dy read twice, dx written
		BatchNormBackward(64, 32, 576, x, gamma, dy, mean, invStd, dx, dgamma, dbeta)
	})
}

// BatchNormStats keeps the variance of values far from zero: each row is
// summed around its first value and the rows around the channel's first.
func TestBatchNormStatsLargeMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(66, 67))
	n, c, l := 5, 2, 37
	x := uniformSlice(rng, n*c*l, -0.01, 0.01)
	for i := range x {
		x[i] += 1e4 + float64(i/l%c)*3e3 + 0.02*float64(i/(c*l)) // means differ by image too
	}
	x32 := asType[float32](x)
	mean, variance := make([]float32, c), make([]float32, c)
	BatchNormStats(n, c, l, x32, mean, variance)
	for ch := 0; ch < c; ch++ {
		var s, q float64
		for i := 0; i < n; i++ {
			for _, v := range x32[(i*c+ch)*l : (i*c+ch+1)*l] {
				s += float64(v)
			}
		}
		mu := s / float64(n*l)
		for i := 0; i < n; i++ {
			for _, v := range x32[(i*c+ch)*l : (i*c+ch+1)*l] {
				q += (float64(v) - mu) * (float64(v) - mu)
			}
		}
		expectClose(t, fmt.Sprint("channel ", ch, " mean"), mean[ch:ch+1], []float64{mu}, 1e-7, 0)
		expectClose(t, fmt.Sprint("channel ", ch, " variance"), variance[ch:ch+1], []float64{q / float64(n*l)}, 1e-4, 0)
	}
}
