//go:build !amd64 || noasm

package kernels

// Without the assembly, the depthwise convolutions run their Go loops.

func depthwiseForwardAsm[T Float](s ConvShape, x, w, bias, y []T) bool { return false }

func depthwiseBackwardDataAsm[T Float](s ConvShape, w, dy, dx []T) bool { return false }

func depthwiseFilterAsm[T Float](s ConvShape, x, dy []T) (fn func(k int, sums, scratch []float64), scratch int) {
	return nil, 0
}
