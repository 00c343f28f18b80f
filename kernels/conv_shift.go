package kernels

import (
	"slices"
	"unsafe"
)

// Shift planes: small unpadded convolutions of unit stride (LeNet's 5×5s)
// run their forward and backward filter passes as implicit GEMMs over a
// layout that needs no column matrix and computes no discarded columns.
//
// For a group of gn images, plane (c, s) holds input rows 0…H−1 of channel c
// shifted left by s and cut to OutW columns, the images' rows interleaved:
//
//	sp[((c·S + s)·H + h)·gn·OutW + n·OutW + j] = x[n, c, h, j + s].
//
// The column matrix's row for tap (c, r, s), in the group's column order
// (i, n, j) (output row, image, output column), is then the run of
// OutH·gn·OutW elements that starts at plane (c, s)'s row r: the direct
// micro-kernels read it in place. The planes hold S·H·OutW elements per
// channel and image where the column matrix holds R·S·OutH·OutW (a third for
// 5×5 filters over 12×12 inputs), written as whole shifted rows rather than
// gathered window by window.

// shiftColumns is the fewest columns a GEMM of shift planes covers, four
// tiles of the widest micro-kernel: 3·8×8 outputs of LeNet's conv2.
const shiftColumns = 192

// shiftImages is the number of images a GEMM of shift planes covers. A single
// image's columns are in y's order, so its GEMM writes y directly.
func shiftImages(s ConvShape) int {
	return max(1, min(s.N, ceilDiv(shiftColumns, s.OutH()*s.OutW())))
}

// shiftConv reports whether s's float32 forward pass runs on shift planes:
// unit strides and dilations, no padding, one group, more than one tap (a
// 1×1 convolution has no column matrix to save), filters in whole
// micro-kernel rows, output planes of whole vectors, the planes of a group
// within shiftMaxPlanes, and the direct AVX-512 micro-kernels.
func shiftConv(s ConvShape) bool {
	return s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1 &&
		s.PadH == 0 && s.PadW == 0 && s.groups() == 1 && s.R*s.S > 1 && s.K%8 == 0 && s.OutH()*s.OutW()%16 == 0 &&
		shiftPlaneSize(s, shiftImages(s)) <= shiftMaxPlanes && implicitDirect(sgemmArch)
}

// shiftMaxPlanes bounds the planes of a group of images (elements), so that
// they stay in L2 with the outputs (LeNet's conv2: 46,080) and the offsets
// fit an int32.
const shiftMaxPlanes = 1 << 18

// shiftFilter reports whether s's float32 backward filter pass runs on shift
// planes: with the input channels as the GEMM's rows, at least 8 of them, or
// for fewer (LeNet's conv1) on the kernel that sums over the pixels in vector
// lanes (shiftFilterReduce).
func shiftFilter(s ConvShape) bool { return shiftConv(s) && (s.C >= 8 || filterReduceAsm) }

// shiftPlaneSize is the size of the shift planes of gn images.
func shiftPlaneSize(s ConvShape, gn int) int { return s.C * s.S * s.H * gn * s.OutW() }

// shiftImagesWorkspace is the scratch of shiftBackwardFilter with an
// output-gradient hook: shiftWorkspace and, for groups of more than one
// image, the group's output gradients per lane.
func shiftImagesWorkspace(s ConvShape) int {
	size := shiftWorkspace(s)
	if shiftImages(s) > 1 {
		size += shiftLanes(s) * shiftImages(s) * s.K * s.OutH() * s.OutW()
	}
	return size
}

// shiftGroups is the number of image groups; the last may be short.
func shiftGroups(s ConvShape) int { return ceilDiv(s.N, shiftImages(s)) }

// shiftLanes is the number of lanes that get groups.
func shiftLanes(s ConvShape) int { return min(convLanes, shiftGroups(s)) }

// shiftLaneSize is one lane's scratch: the planes, a run of ones (the bias's
// tap) and a K-row matrix of the group's outputs or output gradients.
func shiftLaneSize(s ConvShape) int {
	return shiftPlaneSize(s, shiftImages(s)) + (1+s.K)*shiftImages(s)*s.OutH()*s.OutW()
}

// shiftWorkspace is the scratch of the shift-plane passes: the lanes'
// scratch, the partial filter gradients of every lane as the GEMMs write
// them and in dw's order (putInOrder), and the filters with the bias as one
// more column.
func shiftWorkspace(s ConvShape) int {
	crs := s.C * s.R * s.S
	return shiftLanes(s)*(shiftLaneSize(s)+2*s.K*crs) + s.K*(crs+1)
}

// shiftRuns calls fn for every group of images [n0, n0+gn), lane after lane
// in parallel and in order within a lane (lane l takes groups l, l+lanes, …),
// with the group's planes built at the start of sp, which goes on to a run of
// gn·OutH·OutW ones at shiftOnes(s), and the lane's K-row matrix kmat for gn
// images.
func shiftRuns(s ConvShape, x, work []float32, fn func(lane, n0, gn int, sp, kmat []float32)) {
	lanes, size, ones := shiftLanes(s), shiftLaneSize(s), shiftOnes(s)
	ParallelFor(lanes, 1, func(lane, _, _ int) {
		scratch := work[lane*size : (lane+1)*size]
		for g := lane; g < shiftGroups(s); g += lanes {
			n0 := g * shiftImages(s)
			gn := min(shiftImages(s), s.N-n0)
			cols := gn * s.OutH() * s.OutW()
			sp := scratch[:ones+cols]
			if g == lane {
				fill(sp[ones:], 1)
			}
			shiftPlanes(s, x, n0, gn, sp)
			fn(lane, n0, gn, sp, scratch[len(sp):len(sp)+s.K*cols])
		}
	})
}

// shiftOnes is where the run of ones starts in a lane's scratch, after the
// planes of a whole group.
func shiftOnes(s ConvShape) int { return shiftPlaneSize(s, shiftImages(s)) }

// shiftPlanes writes the shift planes of images [n0, n0+gn) of x into sp:
// for each image and channel, the H rows once per filter column.
func shiftPlanes(s ConvShape, x []float32, n0, gn int, sp []float32) {
	ow, hw := s.OutW(), s.H*s.W
	rowLen := gn * ow
	for n := 0; n < gn; n++ {
		for c := 0; c < s.C; c++ {
			plane := x[((n0+n)*s.C+c)*hw : ((n0+n)*s.C+c+1)*hw]
			copyRowBlocks(sp[c*s.S*s.H*rowLen+n*ow:], rowLen, s.H*rowLen, plane, s.W, 1, s.H, ow, s.S)
		}
	}
}

// shiftRows copies between a rows×(OutH·gn·OutW) matrix m in the group's
// column order and images [n0, n0+gn) of the N×rows×OutH×OutW tensor t: into
// m when toGroup, else into t.
func shiftRows(s ConvShape, rows, n0, gn int, m, t []float32, toGroup bool) {
	oh, ow := s.OutH(), s.OutW()
	p, rowLen := oh*ow, gn*ow
	for n := 0; n < gn; n++ {
		img := t[(n0+n)*rows*p : (n0+n+1)*rows*p]
		if toGroup {
			copyRowBlocks(m[n*ow:], rowLen, oh*rowLen, img, ow, p, oh, ow, rows)
		} else {
			copyRowBlocks(img, ow, p, m[n*ow:], rowLen, oh*rowLen, oh, ow, rows)
		}
	}
}

// copyRowBlocks copies blocks blocks of rows rows of n elements,
// dst[b·dstBlock + r·dstRow + j] = src[b·srcBlock + r·srcRow + j]: in one
// assembly call for rows of at most 16 elements (the shift planes' 8-wide
// rows cost a call of copyRows each), else a copyRows a block.
func copyRowBlocks(dst []float32, dstRow, dstBlock int, src []float32, srcRow, srcBlock, rows, n, blocks int) {
	if rows <= 0 || n <= 0 || blocks <= 0 {
		return
	}
	_, _ = dst[(blocks-1)*dstBlock+(rows-1)*dstRow+n-1], src[(blocks-1)*srcBlock+(rows-1)*srcRow+n-1] // the assembly checks no bounds
	if shiftAsm && n <= 16 {
		copyRowBlocks32(&dst[0], dstRow, dstBlock, &src[0], srcRow, srcBlock, rows, n, blocks)
		return
	}
	for b := 0; b < blocks; b++ {
		copyRows(dst[b*dstBlock:], dstRow, src[b*srcBlock:], srcRow, rows, n)
	}
}

// shiftOffsets sets offsets[p] to the offset in the planes of gn images of
// tap pc+p's run; tap C·R·S, the bias's, is the run of ones. The taps are
// counted through without divisions: every group of images recomputes them.
func shiftOffsets(s ConvShape, gn, pc int, offsets []int32) {
	rs, rowLen := s.R*s.S, gn*s.OutW()
	c, r, sx := pc/rs, pc%rs/s.S, pc%s.S
	for p := range offsets {
		if c == s.C {
			offsets[p] = int32(shiftOnes(s))
			continue
		}
		offsets[p] = int32(((c*s.S+sx)*s.H + r) * rowLen)
		if sx++; sx == s.S {
			sx, r = 0, r+1
			if r == s.R {
				r, c = 0, c+1
			}
		}
	}
}

// shiftForward computes y = x ⋆ w (+ bias) for shiftConv(s). The bias is
// one more tap, a column of the filters times the run of ones, rather than
// written into the output first and read again by the GEMM (which cost
// LeNet's conv1, 25 taps, three quarters of its time). after, if not nil,
// runs once a group's output is in y (see conv2DForward).
func shiftForward(s ConvShape, x, w, bias, y, work []float32, after func(n0, gn int)) {
	taps := s.C * s.R * s.S
	filters := w
	if bias != nil {
		crs := taps
		taps++
		filters = work[shiftLanes(s)*shiftLaneSize(s):][:s.K*taps] // over the filter pass's partials
		for k, b := range bias[:s.K] {
			copy(filters[k*taps:k*taps+crs], w[k*crs:(k+1)*crs])
			filters[k*taps+crs] = b
		}
	}
	kcBlock := ceilDiv(taps, ceilDiv(taps, min(sgemmArch.kc, implicitMaxKC)))
	shiftRuns(s, x, work, func(_, n0, gn int, sp, out []float32) {
		cols := gn * s.OutH() * s.OutW()
		if gn == 1 {
			out = y[n0*s.K*cols : (n0+1)*s.K*cols]
		}
		var offsets [implicitMaxKC]int32
		for pc := 0; pc < taps; pc += kcBlock {
			kc := min(kcBlock, taps-pc)
			shiftOffsets(s, gn, pc, offsets[:kc])
			_ = sp[int(slices.Max(offsets[:kc]))+cols-1] // the kernels check no bounds
			beta := float32(1)
			if pc == 0 {
				beta = 0
			}
			for j := 0; j < cols; {
				width := sgemmArch.panelCols(cols - j) // a multiple of 16: cols is
				for k := 0; k < s.K; k += 8 {
					implicitTile(width, false, kc, &filters[k*taps+pc], taps, &offsets[0], &sp[j], 16, 32, &out[k*cols+j], cols, beta)
				}
				j += width
			}
		}
		if gn > 1 {
			shiftRows(s, s.K, n0, gn, out, y, false)
		}
		if after != nil {
			after(n0, gn)
		}
	})
}

// shiftBackwardFilter computes dw from x and dy for shiftFilter(s). The
// gradient of tap (r, s) is the GEMM
//
//	dw[:, :, r, s]ᵀ (C×K) = planes from row r of (c, s) (C rows S·H·gn·OutW apart) · dygᵀ,
//
// dyg being dy in the group's column order, packed once per group and
// multiplied by R·S views of the planes read in place. Lane l sums its
// groups in order into a partial [r][s][c][k] gradient ([k][c][r][s] with
// the reducing kernel, for fewer than 8 channels) and puts it in dw's order
// after its last group; the partials are added in lane order into dw.
// With outputGradient, image n of the output gradients is written by
// outputGradient(n, dst) into the lane's scratch as the group needs it, in
// place of dy (Conv2DBackwardFilterImages); work then holds
// shiftImagesWorkspace(s) elements.
func shiftBackwardFilter(s ConvShape, x, dy, dw, work []float32, outputGradient func(n int, dy []float32)) {
	lanes, size := shiftLanes(s), s.K*s.C*s.R*s.S
	partials := work[lanes*shiftLaneSize(s) : lanes*(shiftLaneSize(s)+size)]
	inOrder := partials
	if s.C >= 8 {
		inOrder = work[lanes*(shiftLaneSize(s)+size) : lanes*(shiftLaneSize(s)+2*size)]
	}
	// Tap (r, s)'s view starts at row r of plane (c, s), in rows of the group.
	taps := make([]int, s.R*s.S)
	for t := range taps {
		taps[t] = t%s.S*s.H + t/s.S
	}
	shiftRuns(s, x, work, func(lane, n0, gn int, sp, dyg []float32) {
		rowLen := gn * s.OutW()
		cols := s.OutH() * rowLen
		switch {
		case outputGradient != nil && gn == 1:
			outputGradient(n0, dyg)
		case outputGradient != nil:
			kp := s.K * s.OutH() * s.OutW()
			images := work[shiftWorkspace(s)+lane*shiftImages(s)*kp:][:gn*kp]
			for n := range gn {
				outputGradient(n0+n, images[n*kp:(n+1)*kp])
			}
			shiftRows(s, s.K, 0, gn, dyg, images, true)
		case gn == 1:
			dyg = dy[n0*s.K*cols : (n0+1)*s.K*cols] // one image: its own column order
		default:
			shiftRows(s, s.K, n0, gn, dyg, dy, true)
		}
		partial := partials[lane*size : (lane+1)*size]
		first := n0 == lane*shiftImages(s)
		if s.C < 8 {
			shiftFilterReduce(s, gn, sp, dyg, partial, first)
			return
		}
		job := &gemmJob[float32]{arch: sgemmArch, transB: true, m: s.C, n: s.K, k: cols, alpha: 1,
			b: dyg, ldb: cols, lda: s.S * s.H * rowLen, ldc: s.K}
		beta := float32(1)
		if first {
			beta = 0
		}
		tapFilterGemm(job, sp, taps, rowLen, partial, beta)
		if n0+lanes*shiftImages(s) >= s.N { // the lane's last group
			putInOrder(s, partial, inOrder[lane*size:(lane+1)*size])
		}
	})
	addLanePartials(size, size, inOrder, lanes, dw)
}

// shiftFilterReduce adds the gradient of a group of gn images to partial
// ([k][c][r][s]), or overwrites it when first: for 8 filters and 3 taps at a
// time, sconvFilterKernelAVX512 multiplies the filters' rows of dyg by the
// taps' runs of the planes in vector lanes and sums the lanes at the end, so
// every multiply-add uses a whole vector however few the channels.
func shiftFilterReduce(s ConvShape, gn int, sp, dyg, partial []float32, first bool) {
	crs, cols := s.C*s.R*s.S, gn*s.OutH()*s.OutW() // cols: whole vectors
	var sums [24]float32
	var offsets [3]int32
	var runs [3]*float32
	for k0 := 0; k0 < s.K; k0 += 8 {
		_ = dyg[(k0+7)*cols+cols-1] // the kernel checks no bounds
		for q := 0; q < crs; q += 3 {
			taps := min(3, crs-q)
			shiftOffsets(s, gn, q, offsets[:taps])
			for t := range runs {
				o := offsets[min(t, taps-1)] // a short last group repeats its last tap
				_ = sp[int(o)+cols-1]
				runs[t] = &sp[o]
			}
			sconvFilterKernelAVX512(cols/16, &dyg[k0*cols], cols, runs[0], runs[1], runs[2], &sums[0])
			storeFilterSums(partial, &sums, k0, 8, crs, q, taps, first)
		}
	}
}

// shiftFloat32 reports whether T is float32, the only type with shift-plane
// kernels.
func shiftFloat32[T Float]() bool { return unsafe.Sizeof(T(0)) == 4 }

// shiftCol2imRuns reports whether col2im of s runs shiftCol2im: float32,
// the assembly, and a shape it takes.
func shiftCol2imRuns[T Float](s ConvShape) bool {
	return shiftFloat32[T]() && shiftAsm && shiftCol2imShape(s)
}

// shiftCol2imShape reports whether shiftCol2im takes s: unit strides and
// dilations, no padding, outputs 8 rows high, at most 5 filter rows and
// input rows of at most 16 elements (LeNet's conv2).
func shiftCol2imShape(s ConvShape) bool {
	return s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1 &&
		s.PadH == 0 && s.PadW == 0 && s.OutH() == 8 && s.R <= 5 && s.W <= 16
}

// shiftCol2im is col2im for shiftCol2imRuns(s): each plane of dx is summed
// in registers by shiftCol2imAVX512 and written once, instead of being
// cleared and then accumulated row by row, tap after tap.
func shiftCol2im(s ConvShape, col []float32, n0, gn, cg int, dx []float32) {
	p, hw, rs, cpg := s.OutH()*s.OutW(), s.H*s.W, s.R*s.S, s.GroupChannels()
	cols := gn * p
	for plane := 0; plane < gn*cpg; plane++ {
		g, c := plane/cpg, plane%cpg
		out := dx[((n0+g)*s.C+cg*cpg+c)*hw : ((n0+g)*s.C+cg*cpg+c+1)*hw]
		src := col[c*rs*cols+g*p:]
		_ = src[(rs-1)*cols+p-1] // the kernel checks no bounds
		shiftCol2imAVX512(&src[0], cols, s.R, s.S, s.OutW(), &out[0], s.W)
	}
}

// storeFilterSums sets (first) or adds the sums of sconvFilterKernelAVX512,
// 8 filters × 3 taps, into rows k0… of partial (crs values a filter) at taps
// q…q+taps−1; rows and taps cut a short last block.
func storeFilterSums(partial []float32, sums *[24]float32, k0, rows, crs, q, taps int, first bool) {
	for r := 0; r < rows; r++ {
		out := partial[(k0+r)*crs+q : (k0+r)*crs+q+taps]
		for t := range out {
			if first {
				out[t] = sums[3*r+t]
			} else {
				out[t] += sums[3*r+t]
			}
		}
	}
}
