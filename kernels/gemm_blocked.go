package kernels

import "sync"

// The blocked GEMM follows the GotoBLAS/BLIS layering, adapted to row-major C:
//
//	C is cut into a fixed grid of chunks (rows × columns), one goroutine task each;
//	in a chunk, for each block of nc columns and kc steps of k:
//	  pack op(B)[kc × nc] into panels of up to nr columns (stays in L2),
//	  for each group of mr rows of A (the mr×kc micro-panel stays in L1):
//	    for each B panel: micro-kernel → one mr×nr tile of C.
//
// Row-major A is read in place by the micro-kernels (rows are rsA apart, steps csA
// apart), so only transposed A and the ragged last rows are packed; op(B) is always
// packed, zero-padded to a multiple of the kernel step. Ragged tiles are computed in
// a scratch tile by the same kernel and copied out, so every element of C goes
// through identical arithmetic: the k order per element depends only on kc, never
// on the chunk grid or on which goroutine runs a chunk.

// microKernel computes one tile of C: C[r][j] = alpha·Σ_p A[r][p]·B[p][j] + beta·C[r][j]
// for r < mr, j < width and p < kc, reading A[r][p] at a[r·rsA + p·csA] and the packed
// B[p][j] at b[p·width + j]; C rows are ldc apart and C is not read when beta == 0.
type microKernel[E float32 | float64] func(kc int, a *E, rsA, csA int, b *E, c *E, ldc int, alpha, beta E)

// gemmArch is one family of micro-kernels with its blocking.
type gemmArch[E float32 | float64] struct {
	name    string
	mr      int              // rows per tile
	step    int              // tile widths are multiples of step
	kernels []microKernel[E] // kernels[i] computes tiles (i+1)·step wide
	kc, nc  int              // k and column block sizes: a kc×nc B block fits in L2
	scratch sync.Pool        // *gemmScratch[E], packing buffers reused across calls
}

// nr is the widest tile.
func (g *gemmArch[E]) nr() int { return g.step * len(g.kernels) }

// gemmScratch holds one task's packing buffers.
type gemmScratch[E float32 | float64] struct {
	a    []E // mr×kc packed A micro-panel
	b    []E // kc×nc packed B block
	tile []E // mr×nr ragged C tile
}

func (g *gemmArch[E]) getScratch() *gemmScratch[E] {
	if s, ok := g.scratch.Get().(*gemmScratch[E]); ok {
		return s
	}
	return &gemmScratch[E]{
		a:    make([]E, g.mr*g.kc),
		b:    make([]E, g.kc*g.nc),
		tile: make([]E, g.mr*g.nr()),
	}
}

const (
	// gemmChunkWork is the number of multiply-adds worth a goroutine task.
	gemmChunkWork = 1 << 21
	// gemmMaxChunks bounds the task count: more tasks re-read A and re-pack B more often.
	gemmMaxChunks = 16
)

// gemmJob is one Gemm call on the blocked path; the shapes are already validated.
type gemmJob[E float32 | float64] struct {
	arch           *gemmArch[E]
	transA, transB bool
	m, n, k        int
	alpha, beta    E
	a, b, c        []E
	lda, ldb, ldc  int
}

func gemmBlocked[E float32 | float64](arch *gemmArch[E], transA, transB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	job := gemmJob[E]{arch: arch, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc}
	mr, nr := arch.mr, arch.nr()
	rowPanels, colPanels := ceilDiv(m, mr), ceilDiv(n, nr)
	chunks := min(max(m*n*k/gemmChunkWork, 1), gemmMaxChunks)
	gn := min(chunks, colPanels)
	gm := min(ceilDiv(chunks, gn), rowPanels)
	ParallelFor(gm*gn, 1, func(chunk, _, _ int) {
		ci, cj := chunk/gn, chunk%gn
		i0, i1 := ci*rowPanels/gm*mr, min((ci+1)*rowPanels/gm*mr, m)
		j0, j1 := cj*colPanels/gn*nr, min((cj+1)*colPanels/gn*nr, n)
		s := arch.getScratch()
		job.chunk(s, i0, i1, j0, j1)
		arch.scratch.Put(s)
	})
}

// chunk computes C[i0:i1, j0:j1].
func (job *gemmJob[E]) chunk(s *gemmScratch[E], i0, i1, j0, j1 int) {
	arch := job.arch
	for jc := j0; jc < j1; jc += arch.nc {
		nc := min(arch.nc, j1-jc)
		for pc := 0; pc < job.k; pc += arch.kc {
			kc := min(arch.kc, job.k-pc)
			beta := job.beta
			if pc > 0 {
				beta = 1
			}
			job.packB(s.b, pc, kc, jc, nc)
			for i := i0; i < i1; i += arch.mr {
				job.rowPanel(s, i, min(arch.mr, i1-i), pc, kc, jc, nc, beta)
			}
		}
	}
}

// rowPanel multiplies rows [i, i+rows) of op(A)[:, pc:pc+kc] by the packed B block.
func (job *gemmJob[E]) rowPanel(s *gemmScratch[E], i, rows, pc, kc, jc, nc int, beta E) {
	arch := job.arch
	mr, nr := arch.mr, arch.nr()
	ap, rsA, csA := s.a, 1, mr
	if job.transA || rows < mr {
		job.packA(s.a, i, rows, pc, kc)
	} else {
		ap, rsA, csA = job.a[i*job.lda+pc:], job.lda, 1
	}
	bp := s.b
	for j := jc; j < jc+nc; j += nr {
		cols := min(nr, jc+nc-j)
		width := roundUp(cols, arch.step)
		kernel := arch.kernels[width/arch.step-1]
		if rows == mr && cols == width {
			kernel(kc, &ap[0], rsA, csA, &bp[0], &job.c[i*job.ldc+j], job.ldc, job.alpha, beta)
		} else {
			tile := s.tile[:mr*width]
			if beta != 0 {
				for r := 0; r < rows; r++ {
					copy(tile[r*width:r*width+cols], job.c[(i+r)*job.ldc+j:])
				}
			}
			kernel(kc, &ap[0], rsA, csA, &bp[0], &tile[0], width, job.alpha, beta)
			for r := 0; r < rows; r++ {
				copy(job.c[(i+r)*job.ldc+j:(i+r)*job.ldc+j+cols], tile[r*width:])
			}
		}
		bp = bp[kc*width:]
	}
}

// packA stores op(A)[i:i+rows, pc:pc+kc] into dst as an mr×kc micro-panel, step
// major (dst[p·mr + r]), with rows beyond rows zeroed.
func (job *gemmJob[E]) packA(dst []E, i, rows, pc, kc int) {
	mr, a, lda := job.arch.mr, job.a, job.lda
	dst = dst[:mr*kc]
	if rows < mr {
		clear(dst)
	}
	if job.transA {
		for p := 0; p < kc; p++ {
			copy(dst[p*mr:p*mr+rows], a[(pc+p)*lda+i:])
		}
		return
	}
	for r := 0; r < rows; r++ {
		src := a[(i+r)*lda+pc : (i+r)*lda+pc+kc]
		for p, v := range src {
			dst[p*mr+r] = v
		}
	}
}

// packB stores op(B)[pc:pc+kc, jc:jc+nc] into dst as consecutive panels of nr columns
// (the last one rounded up to the kernel step and zero-padded), each step major.
func (job *gemmJob[E]) packB(dst []E, pc, kc, jc, nc int) {
	arch := job.arch
	b, ldb := job.b, job.ldb
	for j := jc; j < jc+nc; j += arch.nr() {
		cols := min(arch.nr(), jc+nc-j)
		width := roundUp(cols, arch.step)
		panel := dst[:kc*width]
		dst = dst[kc*width:]
		if cols < width {
			clear(panel)
		}
		if !job.transB {
			for p := 0; p < kc; p++ {
				copy(panel[p*width:p*width+cols], b[(pc+p)*ldb+j:])
			}
			continue
		}
		for c := 0; c < cols; c++ {
			src := b[(j+c)*ldb+pc : (j+c)*ldb+pc+kc]
			for p, v := range src {
				panel[p*width+c] = v
			}
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
