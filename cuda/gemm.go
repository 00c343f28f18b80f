package cuda

// ColMajor is a GEMM in cuBLAS's column-major terms: C = alpha·op(A)·op(B) +
// beta·C with op(A) m×k, op(B) k×n and leading dimensions lda, ldb, ldc.
// TransA/TransB mean CUBLAS_OP_T.
type ColMajor struct {
	TransA, TransB bool
	M, N, K        int
	A, B, C        Ptr
	LDA, LDB, LDC  int
}

// RowMajorGemm expresses the row-major GEMM of kernels.Gemm — C (m×n) =
// op(A)·op(B) with row strides lda, ldb, ldc — as a column-major one. A
// row-major matrix is its transpose in column-major order, so Cᵀ = op(B)ᵀ·op(A)ᵀ:
// the operands swap places, and so do m and n.
func RowMajorGemm(transA, transB bool, m, n, k int, a Ptr, lda int, b Ptr, ldb int, c Ptr, ldc int) ColMajor {
	return ColMajor{TransA: transB, TransB: transA, M: n, N: m, K: k, A: b, LDA: ldb, B: a, LDB: lda, C: c, LDC: ldc}
}
