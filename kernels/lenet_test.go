package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkLeNetStep runs the kernels of one LeNet-5 training step on a batch of
// 64 MNIST images, as the graph compiler schedules them: conv5×5 1→32, ReLU,
// max-pool 2, conv5×5 32→64, ReLU, max-pool 2, linear 1024→128, ReLU, dropout,
// linear 128→10, softmax cross-entropy, and the backward pass (no gradient for
// the images). It reports the step time and each kernel's share in µs/step.
func BenchmarkLeNetStep(b *testing.B) {
	const n = 64
	c1 := ConvShape{N: n, C: 1, H: 28, W: 28, K: 32, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	p1 := PoolShape{N: n, C: 32, H: 24, W: 24, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	c2 := ConvShape{N: n, C: 32, H: 12, W: 12, K: 64, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	p2 := PoolShape{N: n, C: 64, H: 8, W: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
	rng := rand.New(rand.NewPCG(1, 2))
	t := func(size int) []float32 { return asType[float32](uniformSlice(rng, size, -0.5, 0.5)) }
	x, labels := t(n*28*28), make([]float32, n)
	for i := range labels {
		labels[i] = float32(rng.IntN(10))
	}
	// Weights at PyTorch's default scale, ±1/√fan-in: unscaled ones give logits
	// in the hundreds, whose softmax gradients are subnormal, and every pass
	// after them ran several times slower on microcode assists.
	scaled := func(size, fanIn int) []float32 {
		bound := 1 / math.Sqrt(float64(fanIn))
		return asType[float32](uniformSlice(rng, size, -bound, bound))
	}
	w1, b1, w2, b2 := scaled(32*25, 25), t(32), scaled(64*800, 800), t(64)
	w3, b3, w4, b4 := scaled(128*1024, 1024), t(128), scaled(10*128, 128), t(10)
	work := make([]float32, max(Conv2DWorkspace(c1), Conv2DWorkspace(c2)))
	y1, r1, q1 := t(n*32*576), t(n*32*576), t(n*32*144)
	y2, r2, q2 := t(n*64*64), t(n*64*64), t(n*1024)
	y3, r3, d3, y4 := t(n*128), t(n*128), t(n*128), t(n*10)
	g4, g3, gd3, gr3 := t(n*10), t(n*128), t(n*128), t(n*128)
	gq2, gr2, gy2, gq1, gr1, gy1 := t(n*1024), t(n*64*64), t(n*64*64), t(n*32*144), t(n*32*576), t(n*32*576)
	dw1, db1, dw2, db2 := t(32*25), t(32), t(64*800), t(64)
	dw3, db3, dw4, db4 := t(128*1024), t(128), t(10*128), t(10)

	names := []string{"conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "linear3", "relu3", "dropout", "linear4", "loss",
		"loss'", "linear4'", "dropout'", "relu3'", "linear3'", "pool2'", "relu2'", "conv2'", "pool1'", "relu1'", "conv1'"}
	steps := []func(){
		func() { Conv2DForward(c1, x, w1, b1, y1, work) },
		func() { ReluForward(y1, r1) },
		func() { MaxPool2DForward(p1, r1, q1) },
		func() { Conv2DForward(c2, q1, w2, b2, y2, work) },
		func() { ReluForward(y2, r2) },
		func() { MaxPool2DForward(p2, r2, q2) },
		func() {
			Gemm(false, true, n, 128, 1024, 1, q2, 1024, w3, 1024, 0, y3, 128)
			BiasAddNCL(n, 128, 1, b3, y3)
		},
		func() { ReluForward(y3, r3) },
		func() { DropoutForward(7, 0.5, r3, d3) },
		func() { Gemm(false, true, n, 10, 128, 1, d3, 128, w4, 128, 0, y4, 10); BiasAddNCL(n, 10, 1, b4, y4) },
		func() {
			if _, err := SoftmaxCrossEntropyForward(n, 10, y4, Labels(labels)); err != nil {
				b.Fatal(err)
			}
		},
		func() { SoftmaxCrossEntropyBackward(n, 10, y4, Labels(labels), 1, g4) },
		func() {
			Gemm(true, false, 10, 128, n, 1, g4, 10, d3, 128, 0, dw4, 128)
			BiasBackwardNCL(n, 10, 1, g4, db4)
			Gemm(false, false, n, 128, 10, 1, g4, 10, w4, 128, 0, g3, 128)
		},
		func() { DropoutBackward(7, 0.5, g3, gd3) },
		func() { ReluBackward(y3, gd3, gr3) },
		func() {
			Gemm(true, false, 128, 1024, n, 1, gr3, 128, q2, 1024, 0, dw3, 1024)
			BiasBackwardNCL(n, 128, 1, gr3, db3)
			Gemm(false, false, n, 1024, 128, 1, gr3, 128, w3, 1024, 0, gq2, 1024)
		},
		func() { MaxPool2DBackward(p2, r2, gq2, gr2) },
		func() { ReluBackward(y2, gr2, gy2) },
		func() {
			Conv2DBackwardFilter(c2, q1, gy2, dw2, work)
			BiasBackwardNCL(n, 64, 64, gy2, db2)
			Conv2DBackwardData(c2, w2, gy2, gq1, work)
		},
		func() { MaxPool2DBackward(p1, r1, gq1, gr1) },
		func() { ReluBackward(y1, gr1, gy1) },
		func() { Conv2DBackwardFilter(c1, x, gy1, dw1, work); BiasBackwardNCL(n, 32, 576, gy1, db1) },
	}
	spent := make([]time.Duration, len(steps))
	for b.Loop() {
		for i, step := range steps {
			start := time.Now()
			step()
			spent[i] += time.Since(start)
		}
	}
	for i, name := range names {
		b.ReportMetric(float64(spent[i].Microseconds())/float64(b.N), name+"_µs")
	}
}
