//go:build !amd64 || noasm

package kernels

func deinterleaveRowsAsm[T Float](even, odd []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	return false
}
