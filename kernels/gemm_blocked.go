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
	// copy16, if set, packs op(B) from a row-major B, vecs·16 columns at a time:
	// dst[p·ldDst + c] = src[p·ld + c] for p < rows and c < 16·vecs.
	copy16 func(rows, vecs int, src *E, ld int, dst *E, ldDst int)
	// transpose16, if set, packs 16 columns of op(B) from a transposed B:
	// dst[p·ldDst + c] = src[c·ld + p] for c < 16 and p < kc rounded down to 16.
	transpose16 func(kc int, src *E, ld int, dst *E, ldDst int)
	scratch     sync.Pool // *gemmScratch[E], packing buffers reused across calls
	jobs        sync.Pool // *gemmJob[E], reused across calls
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
	// gemmMaxChunks bounds the task count: each task re-reads A (and re-packs B
	// when C is split by rows too).
	gemmMaxChunks = 8
)

// gemmJob is one Gemm call on the blocked path; the shapes are already validated.
// Jobs are pooled per arch with their task function, so a call allocates nothing.
type gemmJob[E float32 | float64] struct {
	arch           *gemmArch[E]
	transA, transB bool
	m, n, k        int
	alpha, beta    E
	a, b, c        []E
	lda, ldb, ldc  int

	// The chunk grid: gm×gn chunks, their rows and columns cut at multiples of
	// rowUnit and colUnit.
	gm, gn, rowUnit, colUnit int
	task                     func(chunk, lo, hi int) // job.runChunk, bound once
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
// only. Columns are split first: a split of rows makes each row chunk pack the
// same B again, while a split of columns only re-reads A, in place. Columns are
// cut at whole nr panels where that still leaves several per chunk.
func (job *gemmJob[E]) planGrid() {
	arch := job.arch
	chunks := 1
	for chunks*2 <= gemmMaxChunks && float64(chunks*2*gemmChunkWork) <= float64(job.m)*float64(job.n)*float64(job.k) {
		chunks *= 2
	}
	job.colUnit = arch.step
	if ceilDiv(job.n, arch.nr()) >= 2*chunks {
		job.colUnit = arch.nr()
	}
	job.rowUnit = arch.mr
	job.gn = min(chunks, ceilDiv(job.n, job.colUnit))
	job.gm = min(chunks/job.gn, ceilDiv(job.m, job.rowUnit))
}

// runChunk computes chunk number chunk of the grid (ParallelFor's lo, hi are chunk,
// chunk+1).
func (job *gemmJob[E]) runChunk(chunk, _, _ int) {
	ci, cj := chunk/job.gn, chunk%job.gn
	i0, i1 := gridCut(ci, job.gm, job.m, job.rowUnit), gridCut(ci+1, job.gm, job.m, job.rowUnit)
	j0, j1 := gridCut(cj, job.gn, job.n, job.colUnit), gridCut(cj+1, job.gn, job.n, job.colUnit)
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
	for jc := j0; jc < j1; jc += arch.nc {
		nc := min(arch.nc, j1-jc)
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

// rowPanel multiplies rows [i, i+rows) of op(A)[:, pc:pc+kc] by the packed B block.
func (job *gemmJob[E]) rowPanel(s *gemmScratch[E], i, rows, pc, kc, jc, nc int, beta E) {
	arch := job.arch
	mr, nr := arch.mr, arch.nr()
	var ap []E
	var rsA, csA int
	switch {
	case rows < mr:
		job.packA(s.a, i, rows, pc, kc)
		ap, rsA, csA = s.a, 1, mr
	case job.transA:
		ap, rsA, csA = job.a[pc*job.lda+i:], 1, job.lda
	default:
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
	nr, step := job.arch.nr(), job.arch.step
	full := nc / nr              // panels nr wide
	cols := nc - full*nr         // columns of the ragged last panel
	width := roundUp(cols, step) // its padded width
	last := dst[full*nr*kc : full*nr*kc+width*kc]
	if cols < width {
		clear(last)
	}
	b, ldb := job.b, job.ldb
	if !job.transB {
		if copy16 := job.arch.copy16; copy16 != nil {
			for q := 0; q < full; q++ {
				copy16(kc, nr/16, &b[pc*ldb+jc+q*nr], ldb, &dst[q*nr*kc], nr)
			}
			if vecs := cols / 16; vecs > 0 {
				copy16(kc, vecs, &b[pc*ldb+jc+full*nr], ldb, &last[0], width)
			}
			for p := 0; p < kc; p++ {
				row := b[(pc+p)*ldb+jc+full*nr : (pc+p)*ldb+jc+nc]
				copy(last[p*width+cols&^15:p*width+cols], row[cols&^15:])
			}
			return
		}
		// Row by row: each row of the block is one contiguous read.
		for p := 0; p < kc; p++ {
			row := b[(pc+p)*ldb+jc : (pc+p)*ldb+jc+nc]
			for q := 0; q < full; q++ {
				copy(dst[(q*kc+p)*nr:(q*kc+p+1)*nr], row[q*nr:])
			}
			copy(last[p*width:p*width+cols], row[full*nr:])
		}
		return
	}
	// Column by column of op(B), 16 at a time where the arch has a transposer.
	for j := 0; j < nc; {
		panel, w := dst[j/nr*nr*kc:], nr
		if j >= full*nr {
			panel, w = last, width
		}
		c, group, done := j%nr, 1, 0
		if job.arch.transpose16 != nil && c+16 <= w && j+16 <= nc {
			group, done = 16, kc&^15
			job.arch.transpose16(kc, &b[(jc+j)*ldb+pc], ldb, &panel[c], w)
		}
		for g := 0; g < group; g++ {
			src := b[(jc+j+g)*ldb+pc+done : (jc+j+g)*ldb+pc+kc]
			for p, v := range src {
				panel[(done+p)*w+c+g] = v
			}
		}
		j += group
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, b int) int { return ceilDiv(a, b) * b }
