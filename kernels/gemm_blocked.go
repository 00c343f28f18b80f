package kernels

import "sync"

// The blocked GEMM follows the GotoBLAS/BLIS layering, adapted to row-major C:
//
//	C is cut into a fixed grid of chunks, one goroutine task each;
//	in a chunk, for each block of nc columns and kc steps of k:
//	  pack op(B)[kc × nc] into panels of up to nr columns (the block stays in L2),
//	  for each group of mr rows of op(A) (the mr×kc micro-panel stays in L1):
//	    for each B panel: micro-kernel → one mr×width tile of C.
//
// op(A) is read in place by the micro-kernels (rows rsA apart, steps csA apart),
// transposed or not; only ragged last rows are packed, and transposed micro-panels
// where the arch has a packer (their steps are a row of A apart: as many lines
// and pages as steps, which the kernels would walk once per B panel). op(B) is
// always packed, zero-padded to a multiple of the kernel step. Ragged tiles are
// computed in a scratch tile by the same kernel and copied out, so every element
// of C goes through identical arithmetic: its k order depends only on the k
// blocking, never on the chunk grid, the column blocks or on which goroutine runs
// a chunk.

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
	// copy16, if set, packs op(B) from a row-major B, vecs·16 columns at a time:
	// dst[p·ldDst + c] = src[p·ld + c] for p < rows and c < 16·vecs.
	copy16 func(rows, vecs int, src *E, ld int, dst *E, ldDst int)
	// transpose16, if set, packs 16 columns of op(B) from a transposed B:
	// dst[p·ldDst + c] = src[c·ld + p] for c < 16 and p < kc rounded down to 16.
	transpose16 func(kc int, src *E, ld int, dst *E, ldDst int)
	// packTransA, if set, packs a whole micro-panel of op(A) from a transposed A:
	// dst[p·mr + r] = src[p·ld + r] for p < kc and r < mr.
	packTransA func(kc int, src *E, ld int, dst *E)
	scratch    sync.Pool // *gemmScratch[E], packing buffers reused across calls
	jobs       sync.Pool // *gemmJob[E], reused across calls
}

// nr is the widest tile.
func (g *gemmArch[E]) nr() int { return g.step * len(g.kernels) }

// panelCols is how many of the left columns of a block the next panel takes: nr,
// except that the last two panels share their columns about evenly (48+16 becomes
// 32+32), as a narrow tile keeps too few accumulators busy.
func (g *gemmArch[E]) panelCols(left int) int {
	nr := g.nr()
	if left <= nr || left >= 2*nr {
		return min(left, nr)
	}
	return min(nr, roundUp(ceilDiv(left, 2), g.step))
}

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
	// gemmMaxChunks is the most tasks a call is cut into: two per core of the
	// target machine, enough to even out ragged chunks; more tasks re-read A
	// more often and make more ragged tiles.
	gemmMaxChunks = 4
)

// gemmJob is one Gemm call on the blocked path; the shapes are already validated.
// Jobs are pooled per arch with their task function bound once, so the blocked
// path allocates nothing per call.
type gemmJob[E float32 | float64] struct {
	arch           *gemmArch[E]
	transA, transB bool
	m, n, k        int
	alpha, beta    E
	a, b, c        []E
	lda, ldb, ldc  int

	gm, gn int                     // the chunk grid: gm row × gn column pieces of C
	task   func(chunk, lo, hi int) // job.runChunk, bound once
}

func gemmBlocked[E float32 | float64](arch *gemmArch[E], transA, transB bool, m, n, k int, alpha E, a []E, lda int, b []E, ldb int, beta E, c []E, ldc int) {
	job, _ := arch.jobs.Get().(*gemmJob[E])
	if job == nil {
		job = new(gemmJob[E])
		job.task = job.runChunk
	}
	*job = gemmJob[E]{arch: arch, transA: transA, transB: transB, m: m, n: n, k: k,
		alpha: alpha, beta: beta, a: a, b: b, c: c, lda: lda, ldb: ldb, ldc: ldc, task: job.task}
	job.planGrid()
	ParallelFor(job.gm*job.gn, 1, job.task)
	job.a, job.b, job.c = nil, nil, nil
	arch.jobs.Put(job)
}

// planGrid cuts C into a power-of-two number of chunks that depends on the shape
// only. Columns are split first: a split of rows makes each row piece pack the same
// B again, while a split of columns only re-reads A, in place. A transposed A that
// the arch packs is split by rows instead: a split of columns would pack every
// micro-panel of A once per column piece, each for fewer tiles.
func (job *gemmJob[E]) planGrid() {
	chunks := 1
	for chunks < gemmMaxChunks && float64(2*chunks*gemmChunkWork) <= float64(job.m)*float64(job.n)*float64(job.k) {
		chunks *= 2
	}
	if job.transA && job.arch.packTransA != nil {
		job.gm = min(chunks, ceilDiv(job.m, job.arch.mr))
		job.gn = min(chunks/job.gm, ceilDiv(job.n, job.arch.step))
		return
	}
	job.gn = min(chunks, ceilDiv(job.n, job.arch.step))
	job.gm = min(chunks/job.gn, ceilDiv(job.m, job.arch.mr))
}

// runChunk computes chunk number chunk of the grid (ParallelFor's lo, hi are chunk,
// chunk+1). Pieces are cut at multiples of the tile height and the kernel step.
func (job *gemmJob[E]) runChunk(chunk, _, _ int) {
	ci, cj := chunk/job.gn, chunk%job.gn
	mr, step := job.arch.mr, job.arch.step
	i0, i1 := gridCut(ci, job.gm, job.m, mr), gridCut(ci+1, job.gm, job.m, mr)
	j0, j1 := gridCut(cj, job.gn, job.n, step), gridCut(cj+1, job.gn, job.n, step)
	s := job.arch.getScratch()
	job.chunk(s, i0, i1, j0, j1)
	job.arch.scratch.Put(s)
}

// gridCut is where piece i of parts starts when [0, size) is cut evenly at
// multiples of unit.
func gridCut(i, parts, size, unit int) int {
	return min(i*ceilDiv(size, unit)/parts*unit, size)
}

// chunk computes C[i0:i1, j0:j1].
func (job *gemmJob[E]) chunk(s *gemmScratch[E], i0, i1, j0, j1 int) {
	arch := job.arch
	// Equal k blocks of at most arch.kc: a short last block would spend more on
	// loading and storing C tiles than on multiply-adds.
	kcBlock := ceilDiv(job.k, ceilDiv(job.k, arch.kc))
	// Equal column blocks of at most arch.nc, at multiples of the kernel step: a
	// narrow last block would read all of A's rows again for a few columns.
	ncBlock := roundUp(ceilDiv(j1-j0, ceilDiv(j1-j0, arch.nc)), arch.step)
	for jc := j0; jc < j1; jc += ncBlock {
		nc := min(ncBlock, j1-jc)
		for pc := 0; pc < job.k; pc += kcBlock {
			kc := min(kcBlock, job.k-pc)
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

// rowPanel multiplies rows [i, i+rows) of op(A)[:, pc:pc+kc] by the packed B block
// of columns [jc, jc+nc).
func (job *gemmJob[E]) rowPanel(s *gemmScratch[E], i, rows, pc, kc, jc, nc int, beta E) {
	arch := job.arch
	mr := arch.mr
	var ap []E
	var rsA, csA int
	switch {
	case rows < mr:
		job.packA(s.a, i, rows, pc, kc)
		ap, rsA, csA = s.a, 1, mr
	case job.transA && arch.packTransA != nil:
		arch.packTransA(kc, &job.a[pc*job.lda+i], job.lda, &s.a[0])
		ap, rsA, csA = s.a, 1, mr
	case job.transA:
		ap, rsA, csA = job.a[pc*job.lda+i:], 1, job.lda
	default:
		ap, rsA, csA = job.a[i*job.lda+pc:], job.lda, 1
	}
	bp, c, ldc := s.b, job.c, job.ldc
	for j := jc; j < jc+nc; {
		cols := arch.panelCols(jc + nc - j)
		width := roundUp(cols, arch.step)
		kernel := arch.kernels[width/arch.step-1]
		if rows == mr && cols == width {
			kernel(kc, &ap[0], rsA, csA, &bp[0], &c[i*ldc+j], ldc, job.alpha, beta)
		} else {
			tile := s.tile[:mr*width]
			if beta != 0 {
				for r := 0; r < rows; r++ {
					copy(tile[r*width:r*width+cols], c[(i+r)*ldc+j:])
				}
			}
			kernel(kc, &ap[0], rsA, csA, &bp[0], &tile[0], width, job.alpha, beta)
			for r := 0; r < rows; r++ {
				copy(c[(i+r)*ldc+j:(i+r)*ldc+j+cols], tile[r*width:])
			}
		}
		bp = bp[kc*width:]
		j += cols
	}
}

// packA stores op(A)[i:i+rows, pc:pc+kc] into dst as an mr×kc micro-panel, step
// major (dst[p·mr + r]), with the rows from rows to mr zeroed.
func (job *gemmJob[E]) packA(dst []E, i, rows, pc, kc int) {
	mr, a, lda := job.arch.mr, job.a, job.lda
	dst = dst[:mr*kc]
	clear(dst)
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

// packB stores op(B)[pc:pc+kc, jc:jc+nc] into dst as consecutive step-major panels
// (panel[p·width + c]) split by panelCols, each zero-padded to its kernel width.
func (job *gemmJob[E]) packB(dst []E, pc, kc, jc, nc int) {
	for j := jc; j < jc+nc; {
		cols := job.arch.panelCols(jc + nc - j)
		width := roundUp(cols, job.arch.step)
		panel := dst[:kc*width]
		dst = dst[kc*width:]
		if cols < width {
			clear(panel)
		}
		if job.transB {
			job.packPanelTransposed(panel, pc, kc, j, cols, width)
		} else {
			job.packPanel(panel, pc, kc, j, cols, width)
		}
		j += cols
	}
}

// packPanel packs op(B)[pc:pc+kc, j:j+cols] from a row-major B.
func (job *gemmJob[E]) packPanel(panel []E, pc, kc, j, cols, width int) {
	b, ldb := job.b, job.ldb
	done := 0
	if copy16 := job.arch.copy16; copy16 != nil && cols >= 16 {
		done = cols &^ 15
		copy16(kc, done/16, &b[pc*ldb+j], ldb, &panel[0], width)
	}
	if done == cols {
		return
	}
	for p := 0; p < kc; p++ {
		copy(panel[p*width+done:p*width+cols], b[(pc+p)*ldb+j+done:])
	}
}

// packPanelTransposed packs op(B)[pc:pc+kc, j:j+cols] from B stored n×k, 16
// columns at a time where the arch has a transposer.
func (job *gemmJob[E]) packPanelTransposed(panel []E, pc, kc, j, cols, width int) {
	b, ldb := job.b, job.ldb
	for c := 0; c < cols; {
		group, done := 1, 0
		if job.arch.transpose16 != nil && c+16 <= cols {
			group, done = 16, kc&^15
			job.arch.transpose16(kc, &b[(j+c)*ldb+pc], ldb, &panel[c], width)
		}
		for g := c; g < c+group; g++ {
			src := b[(j+g)*ldb+pc+done : (j+g)*ldb+pc+kc]
			for p, v := range src {
				panel[(done+p)*width+g] = v
			}
		}
		c += group
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
