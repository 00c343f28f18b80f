package kernels

import "unsafe"

// The backward filter pass of implicit convolutions (see conv_implicit.go).

// implicitFilter reports whether s's backward filter pass runs as an implicit
// GEMM for elements of type T: with the reducing kernel (filterReduce), or
// with the input channels as the GEMM's rows, at least 8 of them.
func implicitFilter[T Float](s ConvShape) bool {
	return implicitShape(s) && implicitWide(s) && (s.C >= 8 || filterReduce[T](s))
}

// filterReduce reports whether s's backward filter pass runs on the kernel
// that sums over the output pixels in vector lanes (implicitFilterReduce):
// for fewer than 8 channels, too few rows for the GEMM, and fewer than 32
// filters (with more, the GEMM on channels padded to 8 rows is as fast, as
// it is with 8 channels or more, where it wins: the kernel streams its
// filters' output gradients from L2 for every three taps).
func filterReduce[T Float](s ConvShape) bool {
	return s.C < 8 && s.K < 32 && unsafe.Sizeof(T(0)) == 4 && filterReduceAsm
}

// filterTaps reports whether s's backward filter pass runs on the kernel that
// takes a filter row's 3 taps at once with vectors over 16 filters
// (implicitFilterTaps, or implicitFilterPhases for strides of 2): float32
// and the assembly, unit strides or strides of 2 with both phases of rows,
// rows of 3 taps, whole blocks of 8 channels and 16 filters, and outputs of
// whole vectors. It beats the GEMM on the channels, which packs each tap's
// view of the planes per image and keeps only 8 accumulators busy with 16
// filters.
func filterTaps[T Float](s ConvShape) bool {
	return unsafe.Sizeof(T(0)) == 4 && filterTapsShape(s)
}

// filterTapsShape is filterTaps for float32.
func filterTapsShape(s ConvShape) bool {
	strides := s.StrideH == 1 && s.StrideW == 1 || s.StrideH == 2 && s.StrideW == 2 && s.R >= 2
	return filterReduceAsm && strides && s.S == 3 && s.C%8 == 0 && s.K%16 == 0 && s.OutH()*s.OutW()%16 == 0
}

// filterTapsRows is the number of rows of the transposed output gradients of
// a block of 16 filters (implicitFilterTaps): two zero rows, the extended
// output in whole vectors, and two zero rows that the last steps read.
func filterTapsRows(l implicitLayout) int { return roundUp(l.ext, 16) + 4 }

// filterTapsSize is a lane's scratch for implicitFilterTaps: the blocks of
// transposed output gradients, and for outputs that are not whole vectors
// wide the compact transpose of a block.
func filterTapsSize(s ConvShape, l implicitLayout) int {
	size := s.K * filterTapsRows(l)
	if s.OutW()%16 != 0 {
		size += 16 * s.OutH() * s.OutW()
	}
	return size
}

// implicitFilterWorkspace is the scratch of implicitBackwardFilter: the lanes'
// scratch, their partial gradients, with filterTaps their transposed output
// gradients, and the partials in dw's order (putInOrder).
func implicitFilterWorkspace(s ConvShape) int {
	l := newImplicitLayout(s)
	lane := l.lane + 2*s.K*s.C*s.R*s.S
	if filterTapsShape(s) {
		lane += filterTapsSize(s, l)
	}
	return implicitLanes(s) * lane
}

// implicitBackwardFilter computes dw from x and dy for s with implicitFilter. With
// the extended output gradient dyext (K rows of OutH·Wq, zero in the columns
// past OutW), the gradient of tap (r, s) is the GEMM
//
//	dw[:, :, r, s]ᵀ (C×K) = xs[tapOffset(0, r, s):] (C rows Pa·Pb·Hq·Wq apart, OutH·Wq long) · dyextᵀ,
//
// so each image packs dyextᵀ once and multiplies it by R·S views of xs read
// in place (with filterTaps, implicitFilterTaps computes the same sums from x
// and dy without planes or dyext, implicitFilterPhases for strides of 2 from
// the planes and dy without dyext). Lane l sums its images in order into a
// partial [r][s][c][k] gradient ([k][c][r][s] with the reducing kernel); the
// partials are added in lane order into dw.
func implicitBackwardFilter[T Float](s ConvShape, x, dy, dw, work []T) {
	kp := s.K * s.OutH() * s.OutW()
	implicitFilterImages(s, x, func(_, n int) []T { return dy[n*kp : (n+1)*kp] }, dw, work)
}

// implicitFilterImages is implicitBackwardFilter over the images dy(lane, n)
// of the output gradients, on the lane that takes image n.
func implicitFilterImages[T Float](s ConvShape, x []T, dy func(lane, n int) []T, dw, work []T) {
	f := newImplicitFilterPass(s, x, work)
	ParallelFor(f.lanes, 1, func(lane, _, _ int) {
		for n := lane; n < s.N; n += f.lanes {
			f.image(n, dy(lane, n))
		}
	})
	f.finish(dw)
}

// implicitFilterPass is implicitBackwardFilter's state: its images may be
// taken by another pass's lanes (convBackwardImages), image n by lane
// n mod lanes, in order within a lane.
type implicitFilterPass[T Float] struct {
	s             ConvShape
	l             implicitLayout
	x, work       []T
	lanes, size   int
	partials      []T
	inOrder       []T // the partials in dw's order, when the GEMM's are not
	reduce, byTap bool
	dyTSize       int
	taps          []int // tap (r, s)'s view of xs
}

func newImplicitFilterPass[T Float](s ConvShape, x, work []T) *implicitFilterPass[T] {
	l := newImplicitLayout(s)
	f := &implicitFilterPass[T]{s: s, l: l, x: x, work: work, lanes: implicitLanes(s), size: s.K * s.C * s.R * s.S,
		reduce: filterReduce[T](s), byTap: filterTaps[T](s)}
	f.partials = work[f.lanes*l.lane : f.lanes*(l.lane+f.size)]
	if f.byTap {
		f.dyTSize = filterTapsSize(s, l)
	}
	f.inOrder = f.partials
	if !f.reduce {
		base := f.lanes * (l.lane + f.size + f.dyTSize)
		f.inOrder = work[base : base+f.lanes*f.size]
	}
	f.taps = make([]int, s.R*s.S)
	for t := range f.taps {
		f.taps[t] = tapOffset(s, l, 0, t/s.S, t%s.S)
	}
	return f
}

// image adds image n's gradient, from its output gradients img, to its
// lane's partial, which the lane's first image (n < lanes) overwrites after
// clearing the lane's scratch.
func (f *implicitFilterPass[T]) image(n int, img []T) {
	s, l, lane := f.s, f.l, n%f.lanes
	chw := s.C * s.H * s.W
	oh, ow := s.OutH(), s.OutW()
	scratch := f.work[lane*l.lane : (lane+1)*l.lane]
	xs, dyext := scratch[:l.xs], scratch[l.xs:l.xs+l.rows*l.cols]
	partial := f.partials[lane*f.size : (lane+1)*f.size]
	base := f.lanes * (l.lane + f.size)
	dyT := f.work[base+lane*f.dyTSize : base+(lane+1)*f.dyTSize]
	first := n < f.lanes
	if first {
		clear(scratch[:l.xs+l.rows*l.cols]) // padding and the columns past OutW stay zero
		if f.byTap {
			clear(dyT)     // the zero rows around the pixels
			clear(partial) // the kernel adds every image
		}
	}
	if n+f.lanes >= s.N && !f.reduce { // the lane's last image
		defer putInOrder(s, partial, f.inOrder[lane*f.size:(lane+1)*f.size])
	}
	if f.byTap {
		if s.StrideH == 1 {
			implicitFilterTaps(s, l, asFloat32(f.x[n*chw:(n+1)*chw]), asFloat32(img), asFloat32(dyT), asFloat32(partial))
		} else {
			splitImage(s, l, f.x[n*chw:(n+1)*chw], xs)
			implicitFilterPhases(s, l, asFloat32(xs), asFloat32(img), asFloat32(dyT), asFloat32(partial))
		}
		return
	}
	splitImage(s, l, f.x[n*chw:(n+1)*chw], xs)
	// The GEMM's B is dyext, or the image's own output gradients where the
	// planes have no columns past OutW (strided 1×1 convolutions of even
	// sizes, say), as the GEMM reads no further than ext.
	grads, ld := img, oh*ow
	if f.reduce || l.wq != ow {
		for k := 0; k < s.K; k++ {
			copyRows(dyext[k*l.cols:], l.wq, img[k*oh*ow:], ow, oh, ow)
		}
		grads, ld = dyext, l.cols
	}
	beta := T(1)
	if first {
		beta = 0
	}
	switch {
	case f.reduce:
		implicitFilterReduce(s, l, asFloat32(xs), asFloat32(dyext), asFloat32(partial), first)
	case unsafe.Sizeof(beta) == 4:
		implicitFilterGemm(sgemmArch, s, l, asFloat32(xs), asFloat32(grads), ld, asFloat32(partial), float32(beta), f.taps)
	default:
		implicitFilterGemm(dgemmArch, s, l, asFloat64(xs), asFloat64(grads), ld, asFloat64(partial), float64(beta), f.taps)
	}
}

// finish sets dw to the sum of the lanes' partials.
func (f *implicitFilterPass[T]) finish(dw []T) {
	addLanePartials(f.size, f.size, f.inOrder, f.lanes, dw)
}

// implicitFilterGemm adds one image's gradient to partial ([r][s][c][k]),
// or overwrites it when beta is 0: tapFilterGemm over the views of xs at
// the taps' offsets, with the extended output gradients' rows ld apart in
// grads.
func implicitFilterGemm[E float32 | float64](arch *gemmArch[E], s ConvShape, l implicitLayout, xs, grads []E, ld int, partial []E, beta E, taps []int) {
	job := &gemmJob[E]{arch: arch, transB: true, m: s.C, n: s.K, k: l.ext, alpha: 1,
		b: grads, ldb: ld, lda: l.pa * l.pb * l.hq * l.wq, ldc: s.K}
	tapFilterGemm(job, xs, taps, 1, partial, beta)
}

// tapFilterGemm adds (beta 1) or writes (beta 0) the filter gradients of
// len(offsets) taps into partial ([tap][m][n]): tap t's is job's product with
// A = a[offsets[t]·unit:], B (the output gradients, transposed) packed once
// per k block and shared by the taps' products.
func tapFilterGemm[E float32 | float64](job *gemmJob[E], a []E, offsets []int, unit int, partial []E, beta E) {
	arch := job.arch
	sc := arch.getScratch()
	kcBlock := ceilDiv(job.k, ceilDiv(job.k, arch.kc))
	mn := job.m * job.n
	for jc := 0; jc < job.n; jc += arch.nc {
		nc := min(arch.nc, job.n-jc)
		for pc := 0; pc < job.k; pc += kcBlock {
			kc := min(kcBlock, job.k-pc)
			job.beta = beta
			if pc > 0 {
				job.beta = 1
			}
			job.packB(sc.b, pc, kc, jc, nc)
			for t, o := range offsets {
				job.a = a[o*unit:]
				job.c = partial[t*mn : (t+1)*mn]
				for i := 0; i < job.m; i += arch.mr {
					job.rowPanel(sc, i, min(arch.mr, job.m-i), pc, kc, jc, nc, job.beta)
				}
			}
		}
	}
	arch.scratch.Put(sc)
}

// putInOrder writes a lane's [r][s][c][k] partial gradient in dw's order,
// [k][c][r][s], on the lane that computed it, where it is in cache: summing
// the lanes' partials while transposing them read every element of the
// other lanes' from another core's cache line by line, a fifth of LeNet's
// conv2 filter pass. Each line of the partial (16 filters) is read once and
// its values go to 16 rows of dst that are written in order.
func putInOrder[T Float](s ConvShape, partial, dst []T) {
	rs := s.R * s.S
	for k0 := 0; k0 < s.K; k0 += 16 {
		kn := min(16, s.K-k0)
		for c := 0; c < s.C; c++ {
			for t := 0; t < rs; t++ {
				o := c*rs + t
				for j, v := range partial[(t*s.C+c)*s.K+k0 : (t*s.C+c)*s.K+k0+kn] {
					dst[(k0+j)*s.C*rs+o] = v
				}
			}
		}
	}
}

// addLanePartials sets dw (n elements) to the sum of lanes partial
// gradients in its order, stride apart in partials, lane after lane for
// every element.
func addLanePartials[T Float](n, stride int, partials []T, lanes int, dw []T) {
	ParallelFor(n, elementGrain, func(_, lo, hi int) {
		copy(dw[lo:hi], partials[lo:hi])
		for lane := 1; lane < lanes; lane++ {
			addRow(dw[lo:hi], partials[lane*stride+lo:lane*stride+hi], dw[lo:hi])
		}
	})
}
