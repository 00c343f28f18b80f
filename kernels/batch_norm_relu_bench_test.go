package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkBatchNormRelu times a training step's batch norm and ReLU (and
// the residual sum between them, forward), fused and as separate ops, on a ResNet stage-1 activation (256×16×32×32) and an MLP's
// hidden layer (64×256).
func BenchmarkBatchNormRelu(b *testing.B) {
	b.Run("2d", func(b *testing.B) { benchmarkBatchNormRelu(b, 256, 16, 1024) })
	b.Run("1d", func(b *testing.B) { benchmarkBatchNormRelu(b, 64, 256, 1) })
}

func benchmarkBatchNormRelu(b *testing.B, n, c, l int) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := asType[float32](uniformSlice(rng, n*c*l, -2, 2))
	dy := asType[float32](uniformSlice(rng, n*c*l, -1, 1))
	y, z, dz, dx := make([]float32, len(x)), make([]float32, len(x)), make([]float32, len(x)), make([]float32, len(x))
	gamma, beta := asType[float32](uniformSlice(rng, c, 0.5, 1.5)), asType[float32](uniformSlice(rng, c, -1, 1))
	mean, variance, invStd := make([]float32, c), make([]float32, c), make([]float32, c)
	BatchNormStats(n, c, l, x, mean, variance)
	for ch, v := range variance {
		invStd[ch] = float32(1 / math.Sqrt(float64(v)+1e-5))
	}
	p := BatchNormAffine[float32]{Gamma: gamma, Beta: beta, Mean: mean, Variance: variance, Eps: 1e-5}
	sums := make([]float32, 2*c)
	b.Run("forward/fused", func(b *testing.B) {
		for range b.N {
			BatchNormReluForward(n, c, l, x, p, y)
		}
	})
	b.Run("forward/separate", func(b *testing.B) {
		for range b.N {
			BatchNormForwardEval(n, c, l, x, gamma, beta, mean, variance, 1e-5, z)
			ReluForward(z, y)
		}
	})
	b.Run("forward_add/fused", func(b *testing.B) {
		for range b.N {
			BatchNormAddReluForward(n, c, l, x, p, dy, y)
		}
	})
	b.Run("forward_add/separate", func(b *testing.B) {
		for range b.N {
			BatchNormForwardEval(n, c, l, x, gamma, beta, mean, variance, 1e-5, z)
			AddRelu(z, dy, y)
		}
	})
	b.Run("backward/fused", func(b *testing.B) {
		for range b.N {
			BatchNormReluBackward(n, c, l, x, p, dy, invStd, nil, sums[:c], sums[c:])
			BatchNormReluBackwardData(n, c, l, x, p, dy, invStd, sums[:c], sums[c:], dx)
		}
	})
	b.Run("backward/separate", func(b *testing.B) {
		for range b.N {
			ReluBackward(y, dy, dz)
			BatchNormBackward(n, c, l, x, nil, dz, mean, invStd, nil, sums[:c], sums[c:])
			BatchNormBackwardData(n, c, l, x, gamma, dz, mean, invStd, sums[:c], sums[c:], dx)
		}
	})
}
