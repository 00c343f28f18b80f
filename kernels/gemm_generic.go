package kernels

import "unsafe"

// The portable micro-kernel: a 3×4 tile of C in twelve scalar accumulators, the
// largest tile whose accumulators, B row and A value stay in amd64's sixteen
// floating-point registers (a 4×4 tile spills and runs a third slower). It runs
// float64 everywhere and float32 where no assembly kernel applies.

// gemmKernelGo3x4 is a microKernel for mr = 3, width 4.
func gemmKernelGo3x4[E float32 | float64](kc int, a *E, rsA, csA int, b *E, c *E, ldc int, alpha, beta E) {
	as := unsafe.Slice(a, 2*rsA+(kc-1)*csA+1)
	bs := unsafe.Slice(b, 4*kc)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23 E
	for p := 0; p < kc; p++ {
		ap := as[p*csA:]
		bp := bs[4*p : 4*p+4 : 4*p+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		a0 := ap[0]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		a1 := ap[rsA]
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a2 := ap[2*rsA]
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
	}
	cs := unsafe.Slice(c, 2*ldc+4)
	storeRow4(cs[0:4:4], c00, c01, c02, c03, alpha, beta)
	storeRow4(cs[ldc:ldc+4:ldc+4], c10, c11, c12, c13, alpha, beta)
	storeRow4(cs[2*ldc:2*ldc+4:2*ldc+4], c20, c21, c22, c23, alpha, beta)
}

// storeRow4 sets row = alpha·(s0..s3) + beta·row, without reading row when beta == 0.
func storeRow4[E float32 | float64](row []E, s0, s1, s2, s3, alpha, beta E) {
	if beta == 0 {
		row[0], row[1], row[2], row[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	row[0] = alpha*s0 + beta*row[0]
	row[1] = alpha*s1 + beta*row[1]
	row[2] = alpha*s2 + beta*row[2]
	row[3] = alpha*s3 + beta*row[3]
}

var (
	sgemmGo = &gemmArch[float32]{name: "go", mr: 3, step: 4, kernels: []microKernel[float32]{gemmKernelGo3x4[float32]}, kc: 256, nc: 512}
	dgemmGo = &gemmArch[float64]{name: "go", mr: 3, step: 4, kernels: []microKernel[float64]{gemmKernelGo3x4[float64]}, kc: 256, nc: 256}
)
