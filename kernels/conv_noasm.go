//go:build !amd64 || noasm

package kernels

// Without the assembly row kernels, copyRows and addRows run their Go loops.

func copyRowsAsm[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	return false
}

func addRowsAsm[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	return false
}

func implicitDirect[E float32 | float64](arch *gemmArch[E]) bool { return false }

func implicitTile[E float32 | float64](width int, halves bool, kc int, a *E, rsA int, offsets *int32, b *E, v1, v2 int, c *E, ldc int, beta E) {
	panic("kernels: no implicit-GEMM micro-kernels without assembly")
}

const filterReduceAsm = false

func implicitFilterReduce(s ConvShape, l implicitLayout, xs, dyext, partial []float32, first bool) {
	panic("kernels: no reducing filter kernel without assembly")
}

func implicitFilterTaps(s ConvShape, l implicitLayout, x, dy, dyT, partial []float32) {
	panic("kernels: no 3-tap filter kernel without assembly")
}

func implicitFilterPhases(s ConvShape, l implicitLayout, xs, dy, dyT, partial []float32) {
	panic("kernels: no stride-2 filter kernel without assembly")
}

func stridedRowsAsm[T Float](scatter bool, dst []T, dstStride int, src []T, srcStride int, rows, n, step int) bool {
	return false
}
