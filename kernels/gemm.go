package kernels

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, where op(A)
// is m×k (A is k×m when transA) and op(B) is k×n (B is n×k when transB); lda, ldb
// and ldc are the row strides. beta == 0 overwrites C without reading it.
func Gemm[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	ParallelFor(m, 16, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
			} else if beta != 1 {
				for j := range row {
					row[j] *= beta
				}
			}
			for p := 0; p < k; p++ {
				var av T
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				av *= alpha
				if av == 0 {
					continue
				}
				if transB {
					for j := range row {
						row[j] += av * b[j*ldb+p]
					}
				} else {
					brow := b[p*ldb : p*ldb+n]
					for j := range row {
						row[j] += av * brow[j]
					}
				}
			}
		}
	})
}
