//go:build !amd64 || noasm

package kernels

// Without the assembly row kernels, copyRows and addRows run their Go loops.

func copyRowsAsm[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	return false
}

func addRowsAsm[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	return false
}
