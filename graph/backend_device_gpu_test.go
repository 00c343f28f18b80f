//go:build gpu

package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/ptx"
)

// testRuntime is GPU 0, with graph capture, for one test.
func testRuntime(t *testing.T) deviceRuntime {
	t.Helper()
	rt, err := cuda.NewRuntime(0, ptx.Module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt
}

// lenet is LeNet-5 on 1×28×28 inputs, for the benchmark.
func lenet(b *testing.B, batch int) (*Model, *Buffer, *Buffer) {
	rng := rand.New(rand.NewPCG(1, 2))
	bld := NewBuilder(tensor.Float32)
	var err error
	must := func(n *gorgonia.Node, e error) *gorgonia.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	param := func(name string, kind ParamKind, shape ...int) *gorgonia.Node {
		buf := NewBuffer(tensor.Float32, shape...)
		for i := range buf.F32 {
			buf.F32[i] = float32(rng.NormFloat64() * 0.1)
		}
		return must(bld.Param(name, kind, buf))
	}
	x := must(bld.Input("x", batch, 1, 28, 28))
	h := must(Conv2D(x, param("c1.w", Weight, 6, 1, 5, 5), param("c1.b", Bias, 6), ConvOptions{Padding: [2]int{2, 2}}))
	h = must(Activate(h, ReLU, 0))
	h = must(MaxPool2D(h, PoolOptions{Kernel: [2]int{2, 2}}))
	h = must(Conv2D(h, param("c2.w", Weight, 16, 6, 5, 5), param("c2.b", Bias, 16), ConvOptions{}))
	h = must(Activate(h, ReLU, 0))
	h = must(MaxPool2D(h, PoolOptions{Kernel: [2]int{2, 2}}))
	h = must(Flatten(h))
	h = must(Linear(h, param("f1.w", Weight, 120, 400), param("f1.b", Bias, 120)))
	h = must(Activate(h, ReLU, 0))
	h = must(Linear(h, param("f2.w", Weight, 84, 120), param("f2.b", Bias, 84)))
	h = must(Activate(h, ReLU, 0))
	h = must(Linear(h, param("f3.w", Weight, 10, 84), param("f3.b", Bias, 10)))
	if err != nil {
		b.Fatal(err)
	}
	m, err := bld.Finish(x, h)
	if err != nil {
		b.Fatal(err)
	}
	in, labels := NewBuffer(tensor.Float32, batch, 1, 28, 28), NewBuffer(tensor.Float32, batch)
	for i := range in.F32 {
		in.F32[i] = rng.Float32()
	}
	for i := range labels.F32 {
		labels.F32[i] = float32(i % 10)
	}
	return m, in, labels
}

// BenchmarkCUDATrainStep times LeNet-5 training steps (forward and backward,
// no solver) on GPU 0, with parameters on the host (uploaded and gradients
// downloaded each step) or resident on the device.
func BenchmarkCUDATrainStep(b *testing.B) {
	const batch = 256
	for _, resident := range []bool{false, true} {
		b.Run(fmt.Sprintf("lenet/batch=%d/resident=%t", batch, resident), func(b *testing.B) {
			m, in, labels := lenet(b, batch)
			c, err := NewCUDA(m, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			if err := c.SetResident(resident); err != nil {
				b.Fatal(err)
			}
			mc := NewMachine(m, c)
			if _, _, err := mc.TrainStep(in, labels); err != nil { // compile, capture
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := mc.TrainStep(in, labels); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
