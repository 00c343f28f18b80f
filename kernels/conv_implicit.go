package kernels

import (
	"slices"
	"sync"
	"unsafe"
)

// Convolutions without dilation run as implicit GEMMs, without a column
// matrix. An image is zero-padded and split by stride phases into a scratch
// xs of C·Pa·Pb planes of Hq×Wq: plane (c, a, b) holds padded rows a, a+StrideH,
// … and columns b, b+StrideW, … of channel c (Pa = min(StrideH, R) phases of
// rows, Pb = min(StrideW, S) of columns, so 1×1 filters keep one). Output pixel
// (i, j) of tap (r, s) then reads element (i + r/StrideH, j + s/StrideW) of
// plane (c, r mod StrideH, s mod StrideW). Computed over rows of the plane
// width Wq instead of OutW (the last Wq − OutW columns of each row are
// discarded), the column matrix's row for a tap is the run of xs that starts
// at the tap's offset, so the GEMM's B panels are read straight from xs (or
// packed from it) and multiplied by the filters, read in place. The extended
// output is ext[k][i·Wq + j], copied into y afterwards, or, for outputs 8, 16,
// 32 or 48 wide, tiles of whole rows go straight to y (conv_implicit_rows.go).
// With unit strides, backward data is the same convolution of the output
// gradients with the filters transposed and flipped (a "full" convolution),
// so it runs the same way; backward filter multiplies views of xs by the
// output gradients (conv_implicit_filter.go).

// implicitMaxKC bounds the k block of the implicit GEMMs, and so their
// packed B panels.
const implicitMaxKC = 256

// implicitShape reports whether s can run as an implicit GEMM: unit
// dilations, one group, at least 8 filters (a micro-kernel's rows), more than
// one tap or a stride over few channels (an unstrided 1×1 convolution has no
// column matrix to save, only few multiply-adds to spend the copy of the
// planes on; a strided one's gather into the planes is im2col's, but image by
// image next to its GEMM, whose B is then read in place, and the forward
// pass takes a batch norm's row statistics in cache: ResNet-8's downsampling
// shortcuts, see fewStridedChannels), and tap offsets that fit an int32.
func implicitShape(s ConvShape) bool {
	taps := s.R*s.S > 1 || (s.StrideH > 1 || s.StrideW > 1) && fewStridedChannels(s)
	return s.DilationH == 1 && s.DilationW == 1 && s.groups() == 1 && s.K >= 8 && taps &&
		newImplicitLayout(s).xs < 1<<31
}

// implicitWide reports whether computing the discarded columns of the
// extended output pays: plane rows at most an eighth wider than the output's,
// or a quarter with 8 channels or more (measured: LeNet's one-channel 5×5 at
// 28×28, a sixth wider, is faster with im2col; 64 channels at 8×8 are not).
func implicitWide(s ConvShape) bool {
	l := newImplicitLayout(s)
	return implicitNarrow(s, l) || s.C >= 8 && 4*l.wq <= 5*s.OutW()
}

// implicitConv reports whether s's forward pass runs as an implicit GEMM (in
// row tiles where they apply, which LeNet's conv2, 8×8 outputs of 12-wide
// planes, does not run faster than with im2col).
func implicitConv(s ConvShape) bool { return implicitShape(s) && implicitWide(s) }

// implicitNarrow reports whether the plane rows are at most an eighth wider
// than the output's.
func implicitNarrow(s ConvShape, l implicitLayout) bool { return 8*l.wq <= 9*s.OutW() }

// transposedConv is the convolution whose forward pass is s's backward data
// pass: the output gradients convolved with the filters swapped between input
// and output channels and flipped, padded so the output is s's input.
func transposedConv(s ConvShape) ConvShape {
	return ConvShape{N: s.N, C: s.K, H: s.OutH(), W: s.OutW(), K: s.C, R: s.R, S: s.S,
		StrideH: 1, StrideW: 1, PadH: s.R - 1 - s.PadH, PadW: s.S - 1 - s.PadW, DilationH: 1, DilationW: 1}
}

// implicitBackwardData reports whether s's backward data pass runs as an
// implicit GEMM: for s and its transposed convolution implicit shapes (which
// transposedConv assumes: no dilation, one group), with unit strides, and
// narrow plane rows or row tiles
// (im2col's GEMM for backward data, on the R·S·C rows of the column matrix,
// is faster than its forward one: it beats the implicit GEMM over the
// extended output at 8×8 with 64 channels).
func implicitBackwardData(s ConvShape) bool {
	if s.StrideH != 1 || s.StrideW != 1 || s.PadH >= s.R || s.PadW >= s.S || !implicitShape(s) {
		return false
	}
	t := transposedConv(s)
	return implicitShape(t) && (implicitNarrow(t, newImplicitLayout(t)) || implicitRowTiles(t))
}

// implicitLayout sizes an implicit convolution's scratch for the micro-kernel
// families of both element types, so that the workspace does not depend on
// the type.
type implicitLayout struct {
	pa, pb     int // phases of rows and columns
	hq, wq     int // plane size
	ext        int // extended output columns, OutH·Wq
	cols, rows int // capacity of ext's columns and of its rows (filters)
	xs         int // the planes with the slack that panels read past their end
	lane       int // one lane's scratch: xs, ext and a packed B panel
	filters    int // filters padded to whole micro-kernel rows
}

func newImplicitLayout(s ConvShape) implicitLayout {
	return planesLayout(s, ceilDiv(s.H+2*s.PadH, s.StrideH), ceilDiv(s.W+2*s.PadW, s.StrideW))
}

// planesLayout is s's layout over planes of hq×wq, which newImplicitLayout
// derives from s and stridedBackwardData shares between its phases.
func planesLayout(s ConvShape, hq, wq int) implicitLayout {
	mr := max(sgemmArch.mr, dgemmArch.mr)
	step := max(sgemmArch.step, dgemmArch.step)
	panel := min(implicitMaxKC, max(sgemmArch.kc, dgemmArch.kc)) * max(sgemmArch.nr(), dgemmArch.nr())
	var l implicitLayout
	l.pa, l.pb = min(s.StrideH, s.R), min(s.StrideW, s.S)
	l.hq, l.wq = hq, wq
	l.ext = s.OutH() * l.wq
	l.cols, l.rows = l.ext+step-1, s.K+mr-1
	// A tap's run ends at most (S−1)/StrideW past the end of its plane
	// (OutH + (R−1)/StrideH ≤ Hq), and goes on for a whole number of panels.
	l.xs = s.C*l.pa*l.pb*l.hq*l.wq + (s.S-1)/s.StrideW + l.cols - l.ext
	l.lane = l.xs + l.rows*l.cols + panel
	l.filters = l.rows * s.C * s.R * s.S
	return l
}

// implicitLanes is the number of lanes of images an implicit convolution runs.
func implicitLanes(s ConvShape) int { return min(convLanes, s.N) }

// implicitWorkspace is the scratch of an implicit convolution: the padded
// filters and the lanes' scratch.
func implicitWorkspace(s ConvShape) int {
	l := newImplicitLayout(s)
	return l.filters + implicitLanes(s)*l.lane
}

// implicitForward computes y = x ⋆ w (+ bias) for an implicit s; work holds
// implicitWorkspace(s) elements.
// After each image's output, with after non-nil, the lane that computed it
// calls after(n) with the image's index, while the output is in its cache.
func implicitForward[T Float](s ConvShape, x, w, bias, y, work []T, after func(n int)) {
	l := newImplicitLayout(s)
	crs := s.C * s.R * s.S
	filters := work[:l.filters]
	copy(filters, w[:s.K*crs])
	clear(filters[s.K*crs:])
	chw, kp := s.C*s.H*s.W, s.K*s.OutH()*s.OutW()
	var done func(n int, _ []T)
	if after != nil {
		done = func(n int, _ []T) { after(n) }
	}
	implicitImages(s, l, func(_, n int) []T { return x[n*chw : (n+1)*chw] }, filters, bias,
		func(_, n int) []T { return y[n*kp : (n+1)*kp] }, work[l.filters:], done)
}

// implicitBackwardDataRun computes dx from dy and w for s whose backward data
// pass is implicit (see implicitBackwardData): the forward pass of
// transposedConv(s) with filters w'[c][k][r][s] = w[k][c][R−1−r][S−1−s].
func implicitBackwardDataRun[T Float](s ConvShape, w, dy, dx, work []T) {
	chw, kp := s.C*s.H*s.W, s.K*s.OutH()*s.OutW()
	implicitBackwardDataImages(s, w, func(_, n int) []T { return dy[n*kp : (n+1)*kp] }, work,
		func(_, n int) []T { return dx[n*chw : (n+1)*chw] }, nil)
}

// implicitBackwardDataImages is implicitBackwardDataRun over the images
// dy(lane, n) of the output gradients, on the lane that computes image n of
// dx, into image(lane, n); it calls done(n, img), where not nil, once that
// image is written, while it is in the lane's cache.
func implicitBackwardDataImages[T Float](s ConvShape, w []T, dy func(lane, n int) []T, work []T, image func(lane, n int) []T, done func(n int, img []T)) {
	t := transposedConv(s)
	l := newImplicitLayout(t)
	filters := work[:l.filters]
	transposedFilters(s, w, filters)
	implicitImages(t, l, dy, filters, nil, image, work[l.filters:], done)
}

// transposedFilters sets filters to transposedConv(s)'s, w'[c][k][r][s] =
// w[k][c][R−1−r][S−1−s], and zero past them.
func transposedFilters[T Float](s ConvShape, w, filters []T) {
	rs := s.R * s.S
	for c := 0; c < s.C; c++ {
		for k := 0; k < s.K; k++ {
			src := w[(k*s.C+c)*rs : (k*s.C+c+1)*rs]
			dst := filters[(c*s.K+k)*rs : (c*s.K+k+1)*rs]
			for i, v := range src {
				dst[rs-1-i] = v
			}
		}
	}
	clear(filters[s.C*s.K*rs:])
}

// implicitImages runs the images of s on implicitLanes(s) lanes, lane l taking
// images l, l+lanes, …, with filters padded to whole micro-kernel rows,
// image n's input x(lane, n) and its output out(lane, n), and calls done(n,
// its output), if not nil, once that output is written.
func implicitImages[T Float](s ConvShape, l implicitLayout, x func(lane, n int) []T, filters, bias []T, out func(lane, n int) []T, work []T, done func(n int, y []T)) {
	lanes, taps := implicitLanes(s), newImplicitTaps(s, l)
	defer taps.release()
	ParallelFor(lanes, 1, func(lane, _, _ int) {
		scratch := work[lane*l.lane : (lane+1)*l.lane]
		clear(scratch[:l.xs]) // the padding stays zero, the interior is overwritten
		for n := lane; n < s.N; n += lanes {
			y := out(lane, n)
			implicitImage(s, l, taps, x(lane, n), filters, bias, y, scratch)
			if done != nil {
				done(n, y)
			}
		}
	})
}

// implicitImage computes one image's output y from its input x.
func implicitImage[T Float](s ConvShape, l implicitLayout, taps implicitTaps, x, filters, bias, y, scratch []T) {
	splitImage(s, l, x, scratch[:l.xs])
	implicitPlanes(s, l, taps, scratch[:l.xs], filters, bias, y, scratch[l.xs:])
}

// implicitPlanes computes one image's output y from its planes xs; scratch
// holds ext and a packed B panel.
func implicitPlanes[T Float](s ConvShape, l implicitLayout, taps implicitTaps, xs, filters, bias, y, scratch []T) {
	ext := scratch[:l.rows*l.cols]
	panel := scratch[l.rows*l.cols:]
	if unsafe.Sizeof(T(0)) == 4 && implicitRowTiles(s) {
		beta := float32(0)
		if bias != nil {
			for k, b := range bias[:s.K] {
				fill(y[k*s.OutH()*s.OutW():(k+1)*s.OutH()*s.OutW()], T(b))
			}
			beta = 1
		}
		implicitRowsGemm(s, l, taps, asFloat32(filters), asFloat32(xs), asFloat32(y), beta)
		return
	}
	beta := T(0)
	if bias != nil {
		for k, b := range bias[:s.K] {
			fill(ext[k*l.cols:k*l.cols+l.ext], b)
		}
		beta = 1
	}
	if unsafe.Sizeof(beta) == 4 {
		implicitGemm(sgemmArch, s, l, taps, asFloat32(filters), asFloat32(xs), asFloat32(panel), asFloat32(ext), float32(beta))
	} else {
		implicitGemm(dgemmArch, s, l, taps, asFloat64(filters), asFloat64(xs), asFloat64(panel), asFloat64(ext), float64(beta))
	}
	oh, ow := s.OutH(), s.OutW()
	for k := 0; k < s.K; k++ {
		copyRows(y[k*oh*ow:], ow, ext[k*l.cols:], l.wq, oh, ow)
	}
}

// splitImage copies image x into the planes of xs, whose padding is zero.
func splitImage[T Float](s ConvShape, l implicitLayout, x, xs []T) {
	plane := l.hq * l.wq
	if s.StrideH == 1 && s.StrideW == 1 {
		for c := 0; c < s.C; c++ {
			copyRows(xs[c*plane+s.PadH*l.wq+s.PadW:], l.wq, x[c*s.H*s.W:], s.W, s.H, s.W)
		}
		return
	}
	if splitStride2(s, l) {
		splitImageStride2(s, l, x, xs)
		return
	}
	gatherPhases(s, l, x, xs)
}

// gatherPhases copies image x into the stride-phase planes of xs, whose
// padding is zero, phase by phase.
func gatherPhases[T Float](s ConvShape, l implicitLayout, x, xs []T) {
	plane := l.hq * l.wq
	for c := 0; c < s.C; c++ {
		for a := 0; a < l.pa; a++ {
			iLo, iHi := validRange(a-s.PadH, s.StrideH, s.H, l.hq)
			for b := 0; b < l.pb; b++ {
				jLo, jHi := validRange(b-s.PadW, s.StrideW, s.W, l.wq)
				dst := xs[((c*l.pa+a)*l.pb+b)*plane:]
				if iLo < iHi && jLo < jHi {
					src := x[(c*s.H+iLo*s.StrideH+a-s.PadH)*s.W+jLo*s.StrideW+b-s.PadW:]
					gatherRows(dst[iLo*l.wq+jLo:], l.wq, src, s.StrideH*s.W, iHi-iLo, jHi-jLo, s.StrideW)
				}
			}
		}
	}
}

// implicitGemm computes ext = filters · B (+ beta·ext), B being the column
// matrix read from xs over the extended columns, rounded up to whole
// panels. The k blocks and the per-element arithmetic are the blocked Gemm's;
// B is read in place where the arch has implicitDirect, else packed.
func implicitGemm[E float32 | float64](arch *gemmArch[E], s ConvShape, l implicitLayout, taps implicitTaps, filters, xs, panel, ext []E, beta E) {
	crs, mr, step := s.C*s.R*s.S, arch.mr, arch.step
	rows, cols := roundUp(s.K, mr), roundUp(l.ext, step)
	kcBlock := ceilDiv(crs, ceilDiv(crs, min(arch.kc, implicitMaxKC)))
	direct := implicitDirect(arch)
	_ = xs[taps.last+cols-1] // the direct kernels check no bounds
	for pc := 0; pc < crs; pc += kcBlock {
		kc := min(kcBlock, crs-pc)
		offsets := taps.offsets[pc : pc+kc]
		b := beta
		if pc > 0 {
			b = 1
		}
		for j := 0; j < cols; {
			width := arch.panelCols(cols - j) // a multiple of step: cols is
			if direct {
				for i := 0; i < rows; i += mr {
					implicitTile(width, false, kc, &filters[i*crs+pc], crs, &offsets[0], &xs[j], 16, 32, &ext[i*l.cols+j], l.cols, b)
				}
			} else {
				kernel := arch.kernels[width/step-1]
				packTaps(panel[:kc*width], xs[j:], offsets[:kc], width)
				for i := 0; i < rows; i += mr {
					kernel(kc, &filters[i*crs+pc], crs, 1, &panel[0], &ext[i*l.cols+j], l.cols, 1, b)
				}
			}
			j += width
		}
	}
}

// implicitTaps are the offsets in xs of every tap's run, the same for every
// image, so computed once per pass, and the largest of them. The offsets
// live in scratch from tapsPool, which release hands back.
type implicitTaps struct {
	offsets []int32
	last    int
	scratch *[]int32
}

// tapsPool holds the tap offsets between passes, so that a training step's
// convolutions do not allocate them.
var tapsPool = sync.Pool{New: func() any { return new([]int32) }}

func newImplicitTaps(s ConvShape, l implicitLayout) implicitTaps {
	scratch := tapsPool.Get().(*[]int32)
	if n := s.C * s.R * s.S; cap(*scratch) < n {
		*scratch = make([]int32, n)
	}
	offsets := (*scratch)[:s.C*s.R*s.S]
	tapOffsets(s, l, 0, offsets)
	return implicitTaps{offsets, int(slices.Max(offsets)), scratch}
}

// release hands the offsets back; taps must not be used after.
func (taps implicitTaps) release() { tapsPool.Put(taps.scratch) }

// tapOffsets sets offsets[p] to the offset in xs of tap pc+p's run, the taps
// counted through without divisions.
func tapOffsets(s ConvShape, l implicitLayout, pc int, offsets []int32) {
	rs, plane := s.R*s.S, l.hq*l.wq
	c, r, sx := pc/rs, pc%rs/s.S, pc%s.S
	a, rq := r%s.StrideH, r/s.StrideH // phase and plane row of tap row r
	b, sq := sx%s.StrideW, sx/s.StrideW
	for p := range offsets {
		offsets[p] = int32(((c*l.pa+a)*l.pb+b)*plane + rq*l.wq + sq)
		sx, b = sx+1, b+1
		if b == s.StrideW {
			b, sq = 0, sq+1
		}
		if sx < s.S {
			continue
		}
		sx, b, sq = 0, 0, 0
		r, a = r+1, a+1
		if a == s.StrideH {
			a, rq = 0, rq+1
		}
		if r == s.R {
			r, a, rq, c = 0, 0, 0, c+1
		}
	}
}

// tapOffset is the offset in xs of the run of tap (r, sx) of channel c.
func tapOffset(s ConvShape, l implicitLayout, c, r, sx int) int {
	plane := ((c*l.pa+r%s.StrideH)*l.pb + sx%s.StrideW) * l.hq * l.wq
	return plane + r/s.StrideH*l.wq + sx/s.StrideW
}

// packTaps packs a panel of width columns: panel[p·width + j] =
// src[offsets[p] + j].
func packTaps[E float32 | float64](panel, src []E, offsets []int32, width int) {
	for p, o := range offsets {
		copy(panel[p*width:(p+1)*width], src[o:int(o)+width])
	}
}
