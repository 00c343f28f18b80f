package kernels

import "fmt"

// ConvShape describes a 2-D convolution of an N×C×H×W input with K filters of
// (C/Groups)×R×S, PyTorch's Conv2d: the channels and the filters are split
// into Groups equal groups, filter group g seeing input group g. Strides and
// dilations are ≥ 1, padding is zero padding on both sides.
type ConvShape struct {
	N, C, H, W int // input
	K, R, S    int // K filters of (C/Groups)×R×S

	StrideH, StrideW     int
	PadH, PadW           int
	DilationH, DilationW int
	Groups               int // 0 means 1
}

// groups is the number of groups, at least 1.
func (s ConvShape) groups() int { return max(1, s.Groups) }

// GroupChannels is the number of input channels a filter sees, C/Groups.
func (s ConvShape) GroupChannels() int { return s.C / s.groups() }

// Depthwise reports a convolution with one input channel per group (Groups =
// C), which runs as a direct kernel instead of GEMMs.
func (s ConvShape) Depthwise() bool { return s.groups() > 1 && s.groups() == s.C }

// OutH is the output height, floor((H + 2·PadH − DilationH·(R−1) − 1)/StrideH) + 1
// as in PyTorch, or 0 when the dilated kernel does not fit.
func (s ConvShape) OutH() int { return slidingOut(s.H, s.R, s.StrideH, s.PadH, s.DilationH) }

// OutW is the output width (see OutH).
func (s ConvShape) OutW() int { return slidingOut(s.W, s.S, s.StrideW, s.PadW, s.DilationW) }

// slidingOut counts the positions of a window of k taps, dilation apart, sliding
// by stride over in elements padded by pad on both sides.
func slidingOut(in, k, stride, pad, dilation int) int {
	span := in + 2*pad - dilation*(k-1) - 1
	if stride < 1 || span < 0 {
		return 0
	}
	return span/stride + 1
}

// Validate reports the first field that makes s meaningless.
func (s ConvShape) Validate() error {
	err := checkBounds("conv2d", []bound{
		{"N", s.N, 1}, {"C", s.C, 1}, {"H", s.H, 1}, {"W", s.W, 1},
		{"K", s.K, 1}, {"R", s.R, 1}, {"S", s.S, 1},
		{"StrideH", s.StrideH, 1}, {"StrideW", s.StrideW, 1},
		{"PadH", s.PadH, 0}, {"PadW", s.PadW, 0},
		{"DilationH", s.DilationH, 1}, {"DilationW", s.DilationW, 1}, {"Groups", s.Groups, 0},
	})
	if err != nil {
		return err
	}
	if g := s.groups(); s.C%g != 0 || s.K%g != 0 {
		return fmt.Errorf("conv2d: %d groups do not divide the %d input channels and %d filters", g, s.C, s.K)
	}
	if s.OutH() < 1 {
		return fmt.Errorf("conv2d: output height < 1: H = %d with PadH = %d is smaller than the kernel height R = %d dilated by %d", s.H, s.PadH, s.R, s.DilationH)
	}
	if s.OutW() < 1 {
		return fmt.Errorf("conv2d: output width < 1: W = %d with PadW = %d is smaller than the kernel width S = %d dilated by %d", s.W, s.PadW, s.S, s.DilationW)
	}
	return nil
}

// bound is a shape field with the smallest value that makes sense for it.
type bound struct {
	name      string
	value, lo int
}

// checkBounds names the first field below its bound.
func checkBounds(op string, fields []bound) error {
	for _, f := range fields {
		if f.value < f.lo {
			return fmt.Errorf("%s: %s = %d, want ≥ %d", op, f.name, f.value, f.lo)
		}
	}
	return nil
}

// Convolutions of more than one tap without dilation or groups run as
// implicit GEMMs (conv_implicit.go) where that measured faster, small
// unpadded ones of unit stride on shift planes (conv_shift.go), the backward
// data pass of strided ones over few channels by stride phases
// (conv_stride_phases.go), whose 1×1 ones run their other passes as
// implicit GEMMs too; the others as
// GEMMs, one per image: the image's column matrix
// (im2col: C·R·S rows, one column per output pixel) multiplies the K×C·R·S
// filters. Images whose output has fewer than convMinColumns pixels go in groups
// side by side, so that every GEMM stays wide enough for the micro-kernels.
//
// The images are dealt to convLanes lanes (lane l takes groups l, l+convLanes,
// …) that run in parallel, each with its own scratch, so the per-image GEMMs are
// small enough to run on the lane's goroutine and no step synchronizes the
// cores. The lane count is fixed, not GOMAXPROCS, so that the workspace and the
// order in which Conv2DBackwardFilter sums the lanes' partial gradients are the
// same on every machine.
const (
	convLanes      = 4
	convMinColumns = 256
)

// convGroup is the number of images per GEMM. Shapes whose col2im sums in
// registers (shiftCol2imShape; their other passes run on shift planes) take
// shift-plane groups, whose columns split into whole tiles of the widest
// micro-kernel: LeNet's conv2 backward data, 3·8×8 columns rather than 4·8×8,
// whose GEMM ran 8×32 tiles (a few per cent slower, noisy A/B).
func convGroup(s ConvShape) int {
	if shiftCol2imShape(s) {
		return shiftImages(s)
	}
	p := s.OutH() * s.OutW()
	return max(1, min(s.N, (convMinColumns+p-1)/p))
}

// convLaneCount is the number of lanes that get images.
func convLaneCount(s ConvShape) int {
	g := convGroup(s)
	return min(convLanes, (s.N+g-1)/g)
}

// convScratch is one lane's scratch: the column matrix of one channel group
// and a K-row matrix of a group's outputs or output gradients.
func convScratch(s ConvShape) int {
	return (s.GroupChannels()*s.R*s.S + s.K) * convGroup(s) * s.OutH() * s.OutW()
}

// Conv2DWorkspace is the number of scratch elements Conv2DForward,
// Conv2DBackwardData and Conv2DBackwardFilter need for shape s: every lane's
// scratch, and the partial filter gradients of all lanes but the first, or
// the implicit GEMMs' scratch, whichever is larger; deep convolutions need
// deepWorkspace(s). The depthwise kernels need none.
func Conv2DWorkspace(s ConvShape) int {
	if s.Depthwise() {
		return 0
	}
	if deepConv(s) {
		return deepWorkspace(s)
	}
	lanes := convLaneCount(s)
	size := lanes*convScratch(s) + (lanes-1)*s.K*s.GroupChannels()*s.R*s.S
	if implicitConv(s) {
		size = max(size, implicitWorkspace(s))
	}
	if implicitFilter[float32](s) || implicitFilter[float64](s) {
		size = max(size, implicitFilterWorkspace(s))
	}
	if implicitBackwardData(s) {
		size = max(size, implicitWorkspace(transposedConv(s)))
	}
	if shiftConv(s) {
		size = max(size, shiftWorkspace(s))
	}
	if winogradConv(s) {
		size = max(size, winogradWorkspace(s))
	}
	if winogradFilter(s) {
		size = max(size, winogradFilterWorkspace(s))
	}
	if winogradData(s) {
		size = max(size, winogradDataWorkspace(s))
	}
	if stridedData(s) {
		size = max(size, stridedWorkspace(s))
	}
	return size
}

// convGroups calls fn for every group of images [n0, n0+gn), lane after lane
// in parallel and in order within a lane, handing it the lane's column matrix
// (of one channel group) and K-row matrix carved from work, both with
// gn·OutH·OutW columns.
func convGroups[T Float](s ConvShape, work []T, fn func(lane, n0, gn int, col, kmat []T)) {
	crs, p, g := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), convGroup(s)
	lanes, scratch := convLaneCount(s), convScratch(s)
	ParallelFor(lanes, 1, func(lane, _, _ int) {
		work := work[lane*scratch : (lane+1)*scratch]
		for n0 := lane * g; n0 < s.N; n0 += lanes * g {
			gn := min(g, s.N-n0)
			cols := gn * p
			fn(lane, n0, gn, work[:crs*cols], work[crs*cols:(crs+s.K)*cols])
		}
	})
}

// Conv2DForward computes y (N×K×OutH×OutW) = x (N×C×H×W) ⋆ w (K×C/Groups×R×S)
// + bias, overwriting y; bias (length K) may be nil. work holds
// Conv2DWorkspace(s) elements. Each channel group is one GEMM per group of
// images; depthwise convolutions run DepthwiseConv2DForward.
func Conv2DForward[T Float](s ConvShape, x, w, bias, y, work []T) {
	conv2DForward(s, x, w, bias, y, work, nil)
}

// conv2DForward is Conv2DForward that calls after(n0, gn), where not nil,
// once the outputs of images [n0, n0+gn) are written, on the goroutine that
// wrote them, while they are in its cache. It reports whether it did for
// every image: depthwise and deep convolutions do not.
func conv2DForward[T Float](s ConvShape, x, w, bias, y, work []T, after func(n0, gn int)) bool {
	if s.Depthwise() {
		DepthwiseConv2DForward(s, x, w, bias, y)
		return false
	}
	if implicitConv(s) {
		var image func(n int)
		if after != nil {
			image = func(n int) { after(n, 1) }
		}
		implicitForward(s, x, w, bias, y, work, image)
		return true
	}
	if deepConv(s) {
		deepForward(s, x, w, bias, y, work)
		return false
	}
	if shiftFloat32[T]() && winogradConv(s) {
		winogradForward(s, asFloat32(x), asFloat32(w), asFloat32(bias), asFloat32(y), asFloat32(work), after)
		return true
	}
	if shiftFloat32[T]() && shiftConv(s) {
		shiftForward(s, asFloat32(x), asFloat32(w), asFloat32(bias), asFloat32(y), asFloat32(work), after)
		return true
	}
	crs, p, kg := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), s.K/s.groups()
	convGroups(s, work, func(_, n0, gn int, col, out []T) {
		cols := gn * p
		if gn == 1 {
			out = y[n0*s.K*p : (n0+1)*s.K*p] // one image: the GEMM writes y directly
		}
		beta := T(0)
		if bias != nil {
			for k, b := range bias[:s.K] {
				fill(out[k*cols:(k+1)*cols], b)
			}
			beta = 1
		}
		for g := 0; g < s.groups(); g++ {
			im2col(s, x, n0, gn, g, col)
			Gemm(false, false, kg, cols, crs, 1, w[g*kg*crs:], crs, col, cols, beta, out[g*kg*cols:], cols)
		}
		if gn > 1 {
			imageRows(s.K, p, gn, out, y[n0*s.K*p:(n0+gn)*s.K*p], false)
		}
		if after != nil {
			after(n0, gn)
		}
	})
	return true
}

// Conv2DForwardRowStats is Conv2DForward that also sets rowStats
// (RowStatsLen(N, K)) to BatchNormRowStats of y, for a batch norm after
// the convolution (BatchNormStatsFromRows): group of images by group while
// their output is in cache, or for depthwise and deep convolutions in a pass
// of its own.
func Conv2DForwardRowStats[T Float](s ConvShape, x, w, bias, y, work []T, rowStats []float64) {
	p := s.OutH() * s.OutW()
	if !conv2DForward(s, x, w, bias, y, work, func(n0, gn int) { rowStatsOf(p, n0*s.K, (n0+gn)*s.K, y, rowStats) }) {
		BatchNormRowStats(s.N*s.K, p, y, rowStats)
	}
}

// Conv2DBackwardData computes dx (N×C×H×W) from dy (N×K×OutH×OutW) and w,
// overwriting dx.
func Conv2DBackwardData[T Float](s ConvShape, w, dy, dx, work []T) {
	if s.Depthwise() {
		DepthwiseConv2DBackwardData(s, w, dy, dx)
		return
	}
	if implicitBackwardData(s) {
		implicitBackwardDataRun(s, w, dy, dx, work)
		return
	}
	if shiftFloat32[T]() && winogradData(s) {
		winogradBackwardData(s, asFloat32(w), asFloat32(dy), asFloat32(dx), asFloat32(work))
		return
	}
	if stridedData(s) {
		stridedBackwardData(s, w, dy, dx, work)
		return
	}
	if deepConv(s) {
		deepBackwardData(s, w, dy, dx, work)
		return
	}
	crs, p, kg := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), s.K/s.groups()
	convGroups(s, work, func(_, n0, gn int, dcol, dyg []T) {
		cols := gn * p
		dyg = groupRows(s.K, p, n0, gn, dy, dyg)
		for g := 0; g < s.groups(); g++ {
			Gemm(true, false, crs, cols, kg, 1, w[g*kg*crs:], crs, dyg[g*kg*cols:], cols, 0, dcol, cols)
			col2im(s, dcol, n0, gn, g, dx)
		}
	})
}

// Conv2DBackwardFilter computes dw (K×C/Groups×R×S) from x and dy, overwriting
// dw. Each lane sums its images' gradients in order, the first lane into dw,
// the others into partial sums in work that are then added to dw in lane
// order.
func Conv2DBackwardFilter[T Float](s ConvShape, x, dy, dw, work []T) {
	if s.Depthwise() {
		DepthwiseConv2DBackwardFilter(s, x, dy, dw)
		return
	}
	if deepConv(s) {
		deepBackwardFilter(s, x, dy, dw, work)
		return
	}
	if implicitFilter[T](s) {
		implicitBackwardFilter(s, x, dy, dw, work)
		return
	}
	if shiftFloat32[T]() && winogradFilter(s) {
		winogradBackwardFilter(s, asFloat32(x), asFloat32(dy), asFloat32(dw), asFloat32(work))
		return
	}
	if shiftFloat32[T]() && shiftFilter(s) {
		shiftBackwardFilter(s, asFloat32(x), asFloat32(dy), asFloat32(dw), asFloat32(work), nil)
		return
	}
	crs, p, g := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), convGroup(s)
	kg := s.K / s.groups()
	lanes, size := convLaneCount(s), s.K*crs
	partials := work[lanes*convScratch(s):]
	convGroups(s, work, func(lane, n0, gn int, col, dyg []T) {
		cols := gn * p
		sum := dw[:size]
		if lane > 0 {
			sum = partials[(lane-1)*size : lane*size]
		}
		beta := T(1)
		if n0 == lane*g { // the lane's first group
			beta = 0
		}
		dyg = groupRows(s.K, p, n0, gn, dy, dyg)
		for cg := 0; cg < s.groups(); cg++ {
			im2col(s, x, n0, gn, cg, col)
			Gemm(false, true, kg, crs, cols, 1, dyg[cg*kg*cols:], cols, col, cols, beta, sum[cg*kg*crs:], crs)
		}
	})
	for lane := 1; lane < lanes; lane++ {
		addRows(dw, size, partials[(lane-1)*size:], size, 1, size)
	}
}

// groupRows returns images [n0, n0+gn) of the N×rows×p tensor t as one
// rows×(gn·p) matrix: t's own storage for a single image, else a copy in buf.
func groupRows[T Float](rows, p, n0, gn int, t, buf []T) []T {
	t = t[n0*rows*p : (n0+gn)*rows*p]
	if gn == 1 {
		return t
	}
	imageRows(rows, p, gn, buf, t, true)
	return buf
}

// imageRows copies between a rows×(gn·p) group matrix m and gn images of
// rows×p stored one after another in t: into m when toGroup, else into t.
func imageRows[T Float](rows, p, gn int, m, t []T, toGroup bool) {
	cols := gn * p
	for g := 0; g < gn; g++ {
		if toGroup {
			copyRows(m[g*p:], cols, t[g*rows*p:], p, rows, p)
		} else {
			copyRows(t[g*rows*p:], p, m[g*p:], cols, rows, p)
		}
	}
}

// copyRows copies rows rows of n elements, dst[r·dstStride + j] =
// src[r·srcStride + j]; dstStride is at least n.
func copyRows[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = dst[(rows-1)*dstStride+n-1], src[(rows-1)*srcStride+n-1] // the assembly checks no bounds
	if copyRowsAsm(dst, dstStride, src, srcStride, rows, n) {
		return
	}
	for r := 0; r < rows; r++ {
		copy(dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n])
	}
}

// addRows accumulates rows rows of n elements, dst[r·dstStride + j] +=
// src[r·srcStride + j]; dstStride is at least n (srcStride 0 adds one row to
// every row).
func addRows[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = dst[(rows-1)*dstStride+n-1], src[(rows-1)*srcStride+n-1] // the assembly checks no bounds
	if addRowsAsm(dst, dstStride, src, srcStride, rows, n) {
		return
	}
	for r := 0; r < rows; r++ {
		addTo(dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n])
	}
}

// gatherRows copies rows rows of n elements taken step apart,
// dst[r·dstStride + j] = src[r·srcStride + j·step].
func gatherRows[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n, step int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = dst[(rows-1)*dstStride+n-1], src[(rows-1)*srcStride+(n-1)*step] // the assembly checks no bounds
	if stridedRowsAsm(false, dst, dstStride, src, srcStride, rows, n, step) {
		return
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*dstStride:r*dstStride+n], src[r*srcStride:]
		for j := range d {
			d[j] = s[j*step]
		}
	}
}

// scatterAddRows accumulates rows rows of n elements into elements step
// apart, dst[r·dstStride + j·step] += src[r·srcStride + j].
func scatterAddRows[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n, step int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = dst[(rows-1)*dstStride+(n-1)*step], src[(rows-1)*srcStride+n-1] // the assembly checks no bounds
	if stridedRowsAsm(true, dst, dstStride, src, srcStride, rows, n, step) {
		return
	}
	for r := 0; r < rows; r++ {
		d, s := dst[r*dstStride:], src[r*srcStride:r*srcStride+n]
		for j, v := range s {
			d[j*step] += v
		}
	}
}

// validRange returns the output positions [lo, hi) among out whose input
// coordinate o·stride + offset falls inside [0, in).
func validRange(offset, stride, in, out int) (lo, hi int) {
	if offset < 0 {
		lo = (-offset + stride - 1) / stride
	}
	if last := in - 1 - offset; last >= 0 {
		hi = min(out, last/stride+1)
	}
	return min(lo, hi), hi
}

// im2col writes the column matrix of channel group cg of images [n0, n0+gn)
// of x into col: row (c·R + r)·S + s, column g·OutH·OutW + oh·OutW + ow holds
// x[n0+g, cg·C/Groups + c, oh·StrideH − PadH + r·DilationH, ow·StrideW − PadW + s·DilationW],
// or 0 in the padding.
func im2col[T Float](s ConvShape, x []T, n0, gn, cg int, col []T) {
	oh, ow := s.OutH(), s.OutW()
	p, hw, rs := oh*ow, s.H*s.W, s.R*s.S
	cols := gn * p
	// Taps outer and channels inner: a tap's valid output range is the same
	// for every channel, so it is worked out once per tap.
	for r := 0; r < s.R; r++ {
		offH := r*s.DilationH - s.PadH
		hLo, hHi := validRange(offH, s.StrideH, s.H, oh)
		for sx := 0; sx < s.S; sx++ {
			offW := sx*s.DilationW - s.PadW
			wLo, wHi := validRange(offW, s.StrideW, s.W, ow)
			first := (hLo*s.StrideH+offH)*s.W + wLo*s.StrideW + offW // input of (hLo, wLo)
			for c := 0; c < s.GroupChannels(); c++ {
				q, channel := c*rs+r*s.S+sx, cg*s.GroupChannels()+c
				for g := 0; g < gn; g++ {
					dst := col[q*cols+g*p : q*cols+(g+1)*p]
					if hLo >= hHi || wLo >= wHi { // the tap sees only padding
						clear(dst)
						continue
					}
					plane := x[((n0+g)*s.C+channel)*hw : ((n0+g)*s.C+channel+1)*hw]
					clear(dst[:hLo*ow])
					clear(dst[hHi*ow:])
					if wLo > 0 || wHi < ow {
						// The borders are a few elements (the padding) per row:
						// stores, where clear would call the runtime per row.
						for i := hLo; i < hHi; i++ {
							row := dst[i*ow : (i+1)*ow]
							for j := range wLo {
								row[j] = 0
							}
							for j := wHi; j < ow; j++ {
								row[j] = 0
							}
						}
					}
					if s.StrideW == 1 {
						copyRows(dst[hLo*ow+wLo:], ow, plane[first:], s.StrideH*s.W, hHi-hLo, wHi-wLo)
						continue
					}
					gatherRows(dst[hLo*ow+wLo:], ow, plane[first:], s.StrideH*s.W, hHi-hLo, wHi-wLo, s.StrideW)
				}
			}
		}
	}
}

// col2im is im2col's adjoint: it overwrites channel group cg of images
// [n0, n0+gn) of dx with the sums of the column-matrix entries that im2col
// would have copied from each element, tap after tap in a fixed order.
func col2im[T Float](s ConvShape, col []T, n0, gn, cg int, dx []T) {
	if shiftCol2imRuns[T](s) {
		shiftCol2im(s, asFloat32(col), n0, gn, cg, asFloat32(dx))
		return
	}
	oh, ow := s.OutH(), s.OutW()
	p, hw, rs, cpg := oh*ow, s.H*s.W, s.R*s.S, s.GroupChannels()
	cols := gn * p
	for plane := 0; plane < gn*cpg; plane++ {
		g, c := plane/cpg, plane%cpg
		out := dx[((n0+g)*s.C+cg*cpg+c)*hw : ((n0+g)*s.C+cg*cpg+c+1)*hw]
		clear(out)
		for r := 0; r < s.R; r++ {
			offH := r*s.DilationH - s.PadH
			hLo, hHi := validRange(offH, s.StrideH, s.H, oh)
			for sx := 0; sx < s.S; sx++ {
				offW := sx*s.DilationW - s.PadW
				wLo, wHi := validRange(offW, s.StrideW, s.W, ow)
				if hLo >= hHi || wLo >= wHi {
					continue
				}
				q := c*rs + r*s.S + sx
				src := col[q*cols+g*p : q*cols+(g+1)*p]
				first := (hLo*s.StrideH+offH)*s.W + wLo*s.StrideW + offW // input of (hLo, wLo)
				if s.StrideW == 1 {
					addRows(out[first:], s.StrideH*s.W, src[hLo*ow+wLo:], ow, hHi-hLo, wHi-wLo)
					continue
				}
				scatterAddRows(out[first:], s.StrideH*s.W, src[hLo*ow+wLo:], ow, hHi-hLo, wHi-wLo, s.StrideW)
			}
		}
	}
}

// BiasAddNCL adds b[c] to every element of channel c of y, viewed as N×C×L.
func BiasAddNCL[T Float](n, c, l int, b, y []T) {
	if l == 1 { // a linear layer's N×C output: add b to each row
		ParallelFor(n, max(1, elementGrain/c), func(_, lo, hi int) {
			addRows(y[lo*c:hi*c], c, b, 0, hi-lo, c)
		})
		return
	}
	ParallelFor(n*c, max(1, elementGrain/l), func(_, lo, hi int) {
		for row := lo; row < hi; row++ {
			ys := y[row*l : (row+1)*l]
			v := b[row%c]
			for j := range ys {
				ys[j] += v
			}
		}
	})
}

// BiasBackwardNCL sets db[c] to the sum of channel c of dy, viewed as N×C×L.
// Each channel is summed in float64 in a fixed order by one goroutine, its rows
// by batch norm's row reduction (AVX-512 for float32).
func BiasBackwardNCL[T Float](n, c, l int, dy, db []T) {
	if l == 1 {
		biasBackwardColumns(n, c, dy, db)
		return
	}
	ParallelFor(c, max(1, elementGrain/(n*l)), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var sum float64
			for i := 0; i < n; i++ {
				s, _ := shiftedSums(dy[(i*c+ch)*l:(i*c+ch+1)*l], 0)
				sum += s
			}
			db[ch] = T(sum)
		}
	})
}
