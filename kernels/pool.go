package kernels

import (
	"fmt"
	"math"
	"unsafe"
)

// PoolShape describes a 2-D max or average pooling of an N×C×H×W input with a
// KH×KW window, PyTorch's MaxPool2d/AvgPool2d with ceil_mode = False and
// dilation 1.
type PoolShape struct{ N, C, H, W, KH, KW, StrideH, StrideW, PadH, PadW int }

// OutH is the output height, floor((H + 2·PadH − KH)/StrideH) + 1.
func (s PoolShape) OutH() int { return slidingOut(s.H, s.KH, s.StrideH, s.PadH, 1) }

// OutW is the output width, floor((W + 2·PadW − KW)/StrideW) + 1.
func (s PoolShape) OutW() int { return slidingOut(s.W, s.KW, s.StrideW, s.PadW, 1) }

// Validate reports the first field that makes s meaningless. As in PyTorch,
// padding may be at most half the window, so that every window covers input.
func (s PoolShape) Validate() error {
	err := checkBounds("pool2d", []bound{
		{"N", s.N, 1}, {"C", s.C, 1}, {"H", s.H, 1}, {"W", s.W, 1},
		{"KH", s.KH, 1}, {"KW", s.KW, 1},
		{"StrideH", s.StrideH, 1}, {"StrideW", s.StrideW, 1},
		{"PadH", s.PadH, 0}, {"PadW", s.PadW, 0},
	})
	if err != nil {
		return err
	}
	if s.PadH > s.KH/2 || s.PadW > s.KW/2 {
		return fmt.Errorf("pool2d: padding %d×%d exceeds half the %d×%d window", s.PadH, s.PadW, s.KH, s.KW)
	}
	if s.OutH() < 1 || s.OutW() < 1 {
		return fmt.Errorf("pool2d: the %d×%d window with padding %d×%d does not fit the %d×%d input", s.KH, s.KW, s.PadH, s.PadW, s.H, s.W)
	}
	return nil
}

// window is the part of an output position's window that lies inside the input.
type window struct{ h0, h1, w0, w1 int }

// window returns output (oh, ow)'s window clipped to the input, and the number of
// positions of the unclipped window that lie inside the padded input (the
// divisor of average pooling with count_include_pad).
func (s PoolShape) window(oh, ow int) (window, int) {
	h0, w0 := oh*s.StrideH-s.PadH, ow*s.StrideW-s.PadW
	h1, w1 := min(h0+s.KH, s.H+s.PadH), min(w0+s.KW, s.W+s.PadW)
	size := (h1 - h0) * (w1 - w0)
	return window{max(h0, 0), min(h1, s.H), max(w0, 0), min(w1, s.W)}, size
}

// isPlain2x2 reports the most common pooling, 2×2 windows with stride 2 and no
// padding, which has a specialised loop.
func (s PoolShape) isPlain2x2() bool {
	return s.KH == 2 && s.KW == 2 && s.StrideH == 2 && s.StrideW == 2 && s.PadH == 0 && s.PadW == 0
}

// poolPlanes calls fn for every (image, channel) plane index, in parallel.
func poolPlanes(s PoolShape, fn func(plane int)) {
	ParallelFor(s.N*s.C, max(1, elementGrain/(s.H*s.W)), func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			fn(p)
		}
	})
}

// MaxPool2DForward sets y to the maximum of each window of x; padding never
// wins (it acts as −∞) and a NaN in a window gives NaN.
func MaxPool2DForward[T Float](s PoolShape, x, y []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, oh*ow
	var windows func(x, y []T, idx []int32) bool // other windows in assembly
	if !s.isPlain2x2() {
		windows = maxPoolWindowsAsm[T](s)
	}
	poolPlanes(s, func(p int) {
		x, y := x[p*hw:(p+1)*hw], y[p*ohw:(p+1)*ohw]
		if s.isPlain2x2() {
			maxPool2x2Plane(s.W, oh, ow, x, y)
			return
		}
		if windows != nil && windows(x, y, nil) {
			return
		}
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				win, _ := s.window(i, j)
				m := T(math.Inf(-1))
				for h := win.h0; h < win.h1; h++ {
					for _, v := range x[h*s.W+win.w0 : h*s.W+win.w1] {
						m = max(m, v)
					}
				}
				y[i*ow+j] = m
			}
		}
	})
}

// MaxPool2DBackward routes dy to the position of each window's maximum in x,
// recomputed here, accumulating where windows overlap; dx is overwritten. The
// position is PyTorch's: the first maximum in row-major window order, or the
// last NaN when the window holds one.
func MaxPool2DBackward[T Float](s PoolShape, x, dy, dx []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, oh*ow
	if !s.isPlain2x2() {
		if windows := maxPoolWindowsAsm[T](s); windows != nil {
			maxPoolWindowsBackward(s, windows, x, dy, dx)
			return
		}
	}
	poolPlanes(s, func(p int) {
		x, dx, dy := x[p*hw:(p+1)*hw], dx[p*hw:(p+1)*hw], dy[p*ohw:(p+1)*ohw]
		if s.isPlain2x2() {
			maxPool2x2BackwardPlane(s, x, dy, dx)
			return
		}
		maxPoolBackwardPlane(s, x, dy, dx)
	})
}

// maxPool2x2Plane is MaxPool2DForward on one plane (rows of w) of disjoint
// 2×2 windows, oh×ow of them.
func maxPool2x2Plane[T Float](w, oh, ow int, x, y []T) {
	if maxPool2x2ForwardAsm(w, oh, ow, x, y) {
		return
	}
	for i := 0; i < oh; i++ {
		r0 := x[2*i*w : (2*i+1)*w]
		r1 := x[(2*i+1)*w : (2*i+2)*w]
		out := y[i*ow : (i+1)*ow]
		for j := range out {
			a, b := r0[2*j:2*j+2:2*j+2], r1[2*j:2*j+2:2*j+2]
			out[j] = max(a[0], a[1], b[0], b[1])
		}
	}
}

// maxPool2x2BackwardPlane is MaxPool2DBackward on one plane of s, whose
// windows are disjoint 2×2 ones (isPlain2x2).
func maxPool2x2BackwardPlane[T Float](s PoolShape, x, dy, dx []T) {
	oh, ow := s.OutH(), s.OutW()
	var done bool
	switch {
	case maxPool2x2BackwardAsm(s.W, oh, ow, x, dy, dx):
		done = true
	case unsafe.Sizeof(T(0)) == 4:
		done = maxPool2x2Backward(s.W, oh, ow, asBits[int32](x), asBits[int32](dy), asBits[int32](dx))
	default:
		done = maxPool2x2Backward(s.W, oh, ow, asBits[int64](x), asBits[int64](dy), asBits[int64](dx))
	}
	if done {
		uncovered(s.W, oh, ow, dx)
		return
	}
	maxPoolBackwardPlane(s, x, dy, dx)
}

// maxPoolBackwardPlane is MaxPool2DBackward on one plane.
func maxPoolBackwardPlane[T Float](s PoolShape, x, dy, dx []T) {
	oh, ow := s.OutH(), s.OutW()
	clear(dx)
	for i := 0; i < oh; i++ {
		for j := 0; j < ow; j++ {
			win, _ := s.window(i, j)
			dx[argmaxWindow(x, s.W, win)] += dy[i*ow+j]
		}
	}
}

// maxPoolTasks bounds the tasks of maxPoolWindowsBackward.
const maxPoolTasks = 64

// maxPoolWindowsBackward is MaxPool2DBackward with the winning taps from the
// assembly (maxPoolWindowsAsm): the gradients add up in the general loop's
// order, output after output. A plane with a NaN takes the general loop.
func maxPoolWindowsBackward[T Float](s PoolShape, windows func(x, y []T, idx []int32) bool, x, dy, dx []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, oh*ow
	taps := make([]int, s.KH*s.KW) // tap r·KW + c lies r·W + c past its window's corner
	for t := range taps {
		taps[t] = t/s.KW*s.W + t%s.KW
	}
	// Each task allocates one plane's winners: at most maxPoolTasks tasks, so
	// that large planes (one per task by elementGrain) do not allocate
	// thousands of them per step.
	grain := max(1, elementGrain/hw, (s.N*s.C+maxPoolTasks-1)/maxPoolTasks)
	ParallelFor(s.N*s.C, grain, func(_, lo, hi int) {
		y, idx := make([]T, ohw), make([]int32, ohw)
		for p := lo; p < hi; p++ {
			x, dx, dy := x[p*hw:(p+1)*hw], dx[p*hw:(p+1)*hw], dy[p*ohw:(p+1)*ohw]
			if !windows(x, y, idx) {
				maxPoolBackwardPlane(s, x, dy, dx)
				continue
			}
			clear(dx)
			for i := range oh {
				corner := (i*s.StrideH-s.PadH)*s.W - s.PadW
				for j, t := range idx[i*ow : (i+1)*ow] {
					dx[corner+j*s.StrideW+taps[t]] += dy[i*ow+j]
				}
			}
		}
	})
}

// maxPool2x2Backward is MaxPool2DBackward for the windows of one plane of
// disjoint 2×2 windows (see uncovered for the rest), in Go where the assembly
// cannot run, on IEEE-754 bit patterns and without a data-dependent branch or
// address: it writes all four gradient entries of each window, dy masked to the
// winner, 0 elsewhere. Comparisons use integer keys ordered as the floats are, −0 equal to
// +0. It reports false, leaving dx to the general loop, when the plane holds a
// NaN (whose keys do not order as PyTorch picks NaNs).
func maxPool2x2Backward[S ~int32 | ~int64](w, oh, ow int, x, dy, dx []S) bool {
	shift := unsafe.Sizeof(S(0))*8 - 1
	magnitude := ^(S(-1) << shift) // all bits but the sign
	inf := S(math.Float64bits(math.Inf(1)))
	if shift == 31 {
		inf = S(math.Float32bits(float32(math.Inf(1))))
	}
	// key maps a float's bits to an integer with the float's order: negative
	// floats have their magnitude bits flipped, then move up by one so that −0
	// meets +0.
	key := func(b S) int64 {
		sign := b >> shift
		return int64((b ^ (sign & magnitude)) - sign)
	}
	// less is −1 when a < b, else 0: the sign of a − b, which cannot overflow
	// for float32 keys; float64 keys correct it where the subtraction
	// overflows (Hacker's Delight, 2-12).
	less := func(a, b int64) S {
		d := a - b
		if shift == 63 {
			d ^= (a ^ b) & (d ^ a)
		}
		return S(d >> 63)
	}
	var nan S // gets the sign bit when some magnitude exceeds +Inf's
	for i := 0; i < oh; i++ {
		top := 2 * i * w
		x0, x1 := x[top:top+w], x[top+w:top+2*w]
		d0, d1 := dx[top:top+w], dx[top+w:top+2*w]
		for j, g := range dy[i*ow : (i+1)*ow] {
			a, b := x0[2*j:2*j+2:2*j+2], x1[2*j:2*j+2:2*j+2]
			nan |= (inf - a[0]&magnitude) | (inf - a[1]&magnitude) | (inf - b[0]&magnitude) | (inf - b[1]&magnitude)
			k0, k1, k2, k3 := key(a[0]), key(a[1]), key(b[0]), key(b[1])
			// A position wins if it beats every earlier one and ties or
			// beats every later one: the first maximum.
			win0 := ^(less(k0, k1) | less(k0, k2) | less(k0, k3))
			win1 := less(k0, k1) &^ (less(k1, k2) | less(k1, k3))
			win2 := less(k0, k2) & less(k1, k2) &^ less(k2, k3)
			win3 := ^(win0 | win1 | win2)
			e0, e1 := d0[2*j:2*j+2:2*j+2], d1[2*j:2*j+2:2*j+2]
			e0[0], e0[1], e1[0], e1[1] = g&win0, g&win1, g&win2, g&win3
		}
	}
	return nan >= 0
}

// uncovered clears the gradient of a plane's last row and column when no 2×2
// window covers them (odd sizes).
func uncovered[T Float](w, oh, ow int, dx []T) {
	clear(dx[2*oh*w:])
	if w > 2*ow {
		for r := 0; r < 2*oh; r++ {
			clear(dx[r*w+2*ow : (r+1)*w])
		}
	}
}

// argmaxWindow returns the index in the plane x (rows of w) of the maximum of
// win as PyTorch's max pooling picks it: scanning rows in order, a value
// replaces the best so far when it is greater or NaN.
func argmaxWindow[T Float](x []T, w int, win window) int {
	at, best := win.h0*w+win.w0, T(math.Inf(-1))
	for h := win.h0; h < win.h1; h++ {
		for k := h*w + win.w0; k < h*w+win.w1; k++ {
			if v := x[k]; v > best || v != v {
				at, best = k, v
			}
		}
	}
	return at
}

// AvgPool2DForward sets y to the mean of each window of x, counting padded
// positions in the divisor (count_include_pad = True, PyTorch's default).
func AvgPool2DForward[T Float](s PoolShape, x, y []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, oh*ow
	poolPlanes(s, func(p int) {
		x, y := x[p*hw:(p+1)*hw], y[p*ohw:(p+1)*ohw]
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				win, size := s.window(i, j)
				var sum T
				for h := win.h0; h < win.h1; h++ {
					for _, v := range x[h*s.W+win.w0 : h*s.W+win.w1] {
						sum += v
					}
				}
				y[i*ow+j] = sum / T(size)
			}
		}
	})
}

// AvgPool2DBackward spreads each dy evenly over its window, accumulating where
// windows overlap; dx is overwritten.
func AvgPool2DBackward[T Float](s PoolShape, dy, dx []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw := s.H*s.W, oh*ow
	poolPlanes(s, func(p int) {
		dx, dy := dx[p*hw:(p+1)*hw], dy[p*ohw:(p+1)*ohw]
		clear(dx)
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				win, size := s.window(i, j)
				g := dy[i*ow+j] / T(size)
				for h := win.h0; h < win.h1; h++ {
					row := dx[h*s.W+win.w0 : h*s.W+win.w1]
					for k := range row {
						row[k] += g
					}
				}
			}
		}
	})
}
