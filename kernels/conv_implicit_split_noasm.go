//go:build !amd64 || noasm

package kernels

func deinterleaveRowsAsm[T Float](even, odd []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	return false
}

func interleaveRowsAsm[T Float](dst []T, dstStride int, even []T, evenStride int, odd []T, oddStride int, rows, n int) bool {
	return false
}
