package kernels

import (
	"fmt"
	"math"
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
	poolPlanes(s, func(p int) {
		x, y := x[p*hw:(p+1)*hw], y[p*ohw:(p+1)*ohw]
		if s.isPlain2x2() {
			for i := 0; i < oh; i++ {
				r0 := x[2*i*s.W : (2*i+1)*s.W]
				r1 := x[(2*i+1)*s.W : (2*i+2)*s.W]
				out := y[i*ow : (i+1)*ow]
				for j := range out {
					a, b := r0[2*j:2*j+2:2*j+2], r1[2*j:2*j+2:2*j+2]
					out[j] = max(a[0], a[1], b[0], b[1])
				}
			}
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
	poolPlanes(s, func(p int) {
		x, dx, dy := x[p*hw:(p+1)*hw], dx[p*hw:(p+1)*hw], dy[p*ohw:(p+1)*ohw]
		clear(dx)
		if s.isPlain2x2() {
			maxPool2x2Backward(s.W, oh, ow, x, dy, dx)
			return
		}
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				win, _ := s.window(i, j)
				dx[argmaxWindow(x, s.W, win)] += dy[i*ow+j]
			}
		}
	})
}

// maxPool2x2Backward is MaxPool2DBackward for one plane of 2×2 windows with
// stride 2. It finds the window's maximum with the branch-free max and picks
// its first position with conditional moves; only a NaN takes the slow path.
func maxPool2x2Backward[T Float](w, oh, ow int, x, dy, dx []T) {
	for i := 0; i < oh; i++ {
		top := 2 * i * w
		r0 := x[top : top+w]
		r1 := x[top+w : top+2*w]
		g := dy[i*ow : (i+1)*ow]
		for j := range g {
			a, b := r0[2*j:2*j+2:2*j+2], r1[2*j:2*j+2:2*j+2]
			m := max(a[0], a[1], b[0], b[1])
			at := top + w + 2*j + 1
			if b[0] == m {
				at = top + w + 2*j
			}
			if a[1] == m {
				at = top + 2*j + 1
			}
			if a[0] == m {
				at = top + 2*j
			}
			if m != m {
				at = argmaxWindow(x, w, window{2 * i, 2*i + 2, 2 * j, 2*j + 2})
			}
			dx[at] += g[j]
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
