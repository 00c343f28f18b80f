package kernels

import "testing"

func BenchmarkRelu6Forward(b *testing.B) {
	benchmarkActivation(b, 2, func(x, y, _ []float32) { Relu6Forward(x, y) })
}

func BenchmarkRelu6Backward(b *testing.B) {
	benchmarkActivation(b, 3, func(x, dy, dx []float32) { Relu6Backward(x, dy, dx) })
}
