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

// implicitFilterWorkspace is the scratch of implicitBackwardFilter: the lanes'
// scratch and their partial gradients.
func implicitFilterWorkspace(s ConvShape) int {
	return implicitLanes(s) * (newImplicitLayout(s).lane + s.K*s.C*s.R*s.S + tapsScratch(s))
}

// tapsScratch is the size of a lane's image transposed for
// implicitFilterTaps: the planes' positions (and S − 1 of slack) × C.
func tapsScratch(s ConvShape) int {
	l := newImplicitLayout(s)
	return (l.pa*l.pb*l.hq*l.wq + s.S) * s.C
}

// implicitBackwardFilter computes dw from x and dy for s with implicitFilter. With
// the extended output gradient dyext (K rows of OutH·Wq, zero in the columns
// past OutW), the gradient of tap (r, s) is the GEMM
//
//	dw[:, :, r, s]ᵀ (C×K) = xs[tapOffset(0, r, s):] (C rows Pa·Pb·Hq·Wq apart, OutH·Wq long) · dyextᵀ,
//
// so each image packs dyextᵀ once and multiplies it by R·S views of xs read
// in place. Lane l sums its images in order into a partial [r][s][c][k]
// gradient ([k][c][r][s] with the reducing kernel); the partials are added in
// lane order into dw.
func implicitBackwardFilter[T Float](s ConvShape, x, dy, dw, work []T) {
	l := newImplicitLayout(s)
	lanes, size := implicitLanes(s), s.K*s.C*s.R*s.S
	partials := work[lanes*l.lane : lanes*(l.lane+size)]
	transposed := work[lanes*(l.lane+size) : lanes*(l.lane+size+tapsScratch(s))]
	chw, kp := s.C*s.H*s.W, s.K*s.OutH()*s.OutW()
	oh, ow := s.OutH(), s.OutW()
	reduce, taps := filterReduce[T](s), filterTaps[T](s)
	ParallelFor(lanes, 1, func(lane, _, _ int) {
		scratch := work[lane*l.lane : (lane+1)*l.lane]
		xs, dyext := scratch[:l.xs], scratch[l.xs:l.xs+l.rows*l.cols]
		clear(scratch[:l.xs+l.rows*l.cols]) // padding and the columns past OutW stay zero
		partial := partials[lane*size : (lane+1)*size]
		xst := transposed[lane*tapsScratch(s) : (lane+1)*tapsScratch(s)]
		clear(xst) // the slack stays zero
		for n := lane; n < s.N; n += lanes {
			splitImage(s, l, x[n*chw:(n+1)*chw], xs)
			img := dy[n*kp : (n+1)*kp]
			for k := 0; k < s.K; k++ {
				copyRows(dyext[k*l.cols:], l.wq, img[k*oh*ow:], ow, oh, ow)
			}
			beta := T(1)
			if n == lane {
				beta = 0
			}
			switch {
			case reduce:
				implicitFilterReduce(s, l, asFloat32(xs), asFloat32(dyext), asFloat32(partial), beta == 0)
			case taps:
				implicitFilterTaps(s, l, asFloat32(xs), asFloat32(xst), asFloat32(dyext), asFloat32(partial), float32(beta))
			case unsafe.Sizeof(beta) == 4:
				implicitFilterGemm(sgemmArch, s, l, asFloat32(xs), asFloat32(dyext), asFloat32(partial), float32(beta))
			default:
				implicitFilterGemm(dgemmArch, s, l, asFloat64(xs), asFloat64(dyext), asFloat64(partial), float64(beta))
			}
		}
	})
	rs := s.R * s.S
	for k := 0; k < s.K; k++ {
		for c := 0; c < s.C; c++ {
			for t := 0; t < rs; t++ {
				i := (t*s.C+c)*s.K + k
				switch {
				case reduce:
					i = (k*s.C+c)*rs + t
				case taps:
					i = ((t/s.S*s.K+k)*s.S+t%s.S)*s.C + c
				}
				sum := partials[i]
				for lane := 1; lane < lanes; lane++ {
					sum += partials[lane*size+i]
				}
				dw[(k*s.C+c)*rs+t] = sum
			}
		}
	}
}

// filterTaps reports whether s's float32 backward filter pass runs on the
// direct micro-kernels over a whole row of taps at once (implicitFilterTaps):
// unit strides, 16 channels (one vector: the per-tap GEMMs run their
// narrowest tiles; with 32 or 64 channels they are as fast, measured on
// ResNet-8), filters in whole micro-kernel rows.
func filterTaps[T Float](s ConvShape) bool {
	return unsafe.Sizeof(T(0)) == 4 && implicitDirect(sgemmArch) && s.StrideH == 1 && s.StrideW == 1 &&
		s.C == 16 && s.K%sgemmArch.mr == 0
}

// implicitFilterTaps adds one image's gradient to partial ([r][k][s][c]), or
// overwrites it when beta is 0. With the image transposed into xst
// (xst[q·C + c] = xs[c·plane + q]), the gradient of tap row r is
//
//	partial[r] (K × S·C) = dyext (K × OutH·Wq, read in place) · B,
//	B[p][s·C + c] = xst[(r·Wq + p + s)·C + c],
//
// and B's row p is the run of S·C values from (r·Wq + p)·C: the direct
// micro-kernels read it in place through their offsets, in tiles as wide as
// the forward pass's, where a GEMM per tap would have only C columns.
func implicitFilterTaps(s ConvShape, l implicitLayout, xs, xst, dyext, partial []float32, beta float32) {
	plane, width := l.hq*l.wq, s.S*s.C
	for c := 0; c < s.C; c += 16 {
		sgemmArch.transpose16(plane, &xs[c*plane], plane, &xst[c], s.C)
		for q := plane &^ 15; q < plane; q++ {
			for j := range 16 {
				xst[q*s.C+c+j] = xs[(c+j)*plane+q]
			}
		}
	}
	kcBlock := ceilDiv(l.ext, ceilDiv(l.ext, min(sgemmArch.kc, implicitMaxKC)))
	var offsets [implicitMaxKC]int32
	for pc := 0; pc < l.ext; pc += kcBlock {
		kc := min(kcBlock, l.ext-pc)
		b := beta
		if pc > 0 {
			b = 1
		}
		for r := 0; r < s.R; r++ {
			for p := range offsets[:kc] {
				offsets[p] = int32((r*l.wq + pc + p) * s.C)
			}
			_ = xst[int(offsets[kc-1])+width-1] // the kernels check no bounds
			for j := 0; j < width; {
				cols := sgemmArch.panelCols(width - j) // a multiple of 16: so is width
				for i := 0; i < s.K; i += sgemmArch.mr {
					implicitTile(cols, false, kc, &dyext[i*l.cols+pc], l.cols, &offsets[0], &xst[j], 16, &partial[(r*s.K+i)*width+j], width, b)
				}
				j += cols
			}
		}
	}
}

// implicitFilterGemm adds one image's gradient to partial ([r][s][c][k]),
// or overwrites it when beta is 0, through the blocked GEMM's packing and
// row panels: B = dyextᵀ is packed once per k block and shared by the R·S
// products.
func implicitFilterGemm[E float32 | float64](arch *gemmArch[E], s ConvShape, l implicitLayout, xs, dyext, partial []E, beta E) {
	job := &gemmJob[E]{arch: arch, transB: true, m: s.C, n: s.K, k: l.ext, alpha: 1,
		b: dyext, ldb: l.cols, lda: l.pa * l.pb * l.hq * l.wq, ldc: s.K}
	sc := arch.getScratch()
	kcBlock := ceilDiv(job.k, ceilDiv(job.k, arch.kc))
	ck := s.C * s.K
	for jc := 0; jc < s.K; jc += arch.nc {
		nc := min(arch.nc, s.K-jc)
		for pc := 0; pc < job.k; pc += kcBlock {
			kc := min(kcBlock, job.k-pc)
			job.beta = beta
			if pc > 0 {
				job.beta = 1
			}
			job.packB(sc.b, pc, kc, jc, nc)
			for t := 0; t < s.R*s.S; t++ {
				job.a = xs[tapOffset(s, l, 0, t/s.S, t%s.S):]
				job.c = partial[t*ck : (t+1)*ck]
				for i := 0; i < s.C; i += arch.mr {
					job.rowPanel(sc, i, min(arch.mr, s.C-i), pc, kc, jc, nc, job.beta)
				}
			}
		}
	}
	arch.scratch.Put(sc)
}
