package kernels

import (
	"fmt"
	"unsafe"
)

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where op(A)
// is m×k (A is k×m when transA) and op(B) is k×n (B is n×k when transB); lda, ldb
// and ldc are the row strides. beta == 0 overwrites C without reading it; alpha == 0
// or k == 0 only scales C by beta, without reading A or B.
//
// The product is cache-blocked and register-tiled (see gemm_blocked.go), on AVX-512
// (float32 and float64) or AVX2 (float32) micro-kernels where the CPU has them and
// in portable Go otherwise or under the noasm build tag. Every element of C sums
// its k products in the same order whatever GOMAXPROCS is, so results are
// bit-identical on any number of threads. Gemm panics if a stride is smaller than
// its row or a slice is too short for the shapes: those are programming errors.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	checkGemmArgs(transA, transB, m, n, k, len(a), lda, len(b), ldb, len(c), ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleMatrix(m, n, beta, c, ldc)
		return
	}
	// The blocked driver is instantiated for float32 and float64 only; named
	// element types share their memory layout.
	if unsafe.Sizeof(alpha) == 4 {
		gemmBlocked(sgemmArch, transA, transB, m, n, k, float32(alpha), asFloat32(a), lda, asFloat32(b), ldb, float32(beta), asFloat32(c), ldc)
	} else {
		gemmBlocked(dgemmArch, transA, transB, m, n, k, float64(alpha), asFloat64(a), lda, asFloat64(b), ldb, float64(beta), asFloat64(c), ldc)
	}
}

// checkGemmArgs panics unless every element Gemm may touch lies inside its slice,
// which the micro-kernels rely on: they address memory without bounds checks.
func checkGemmArgs(transA, transB bool, m, n, k, lenA, lda, lenB, ldb, lenC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.Gemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	checkMatrix("A", rowsA, colsA, lenA, lda)
	checkMatrix("B", rowsB, colsB, lenB, ldb)
	checkMatrix("C", m, n, lenC, ldc)
}

func checkMatrix(name string, rows, cols, length, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("kernels.Gemm: ld%s=%d is smaller than its %d columns", name, ld, cols))
	}
	if need := (rows-1)*ld + cols; length < need {
		panic(fmt.Sprintf("kernels.Gemm: %s has %d elements, its %d×%d view with stride %d needs %d", name, length, rows, cols, ld, need))
	}
}

// scaleMatrix sets C = beta·C, writing zeros without reading C when beta == 0.
func scaleMatrix[T Float](m, n int, beta T, c []T, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

func asFloat32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func asFloat64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
