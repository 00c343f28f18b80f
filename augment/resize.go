package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Resize scales the image to Height×Width with a bilinear (triangle) filter over
// pixel centres, antialiased when shrinking: each output pixel averages the input
// pixels under a triangle as wide as the scale factor. It follows torchvision 0.14's
// Resize(antialias=True) of uint8 tensors (PyTorch's separable antialiased bilinear
// kernel, in float32, rows first, rounded half to even); in tests against it fewer
// than 1 in 100000 values differed, by 1. Enlarging is plain bilinear interpolation
// (align_corners=False).
type Resize struct{ Height, Width int }

// OutputShape checks the size.
func (r Resize) OutputShape(c, h, w int) (int, int, int, error) {
	if r.Height < 1 || r.Width < 1 {
		return 0, 0, 0, fmt.Errorf("resize to %d×%d: sizes must be positive", r.Height, r.Width)
	}
	return c, r.Height, r.Width, nil
}

// Apply writes the resized image into dst.
func (r Resize) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	return resize(dst, src, box{H: src.H, W: src.W}, r.Height, r.Width, &ctx.resize)
}

// ResizeShorter is torchvision's Resize(Size): the shorter side becomes Size and the
// longer one Size·long/short, rounded down, keeping the aspect ratio.
type ResizeShorter struct{ Size int }

// OutputShape returns the scaled size.
func (r ResizeShorter) OutputShape(c, h, w int) (int, int, int, error) {
	if r.Size < 1 {
		return 0, 0, 0, fmt.Errorf("resize shorter side to %d: size must be positive", r.Size)
	}
	oh, ow := r.size(h, w)
	return c, oh, ow, nil
}

func (r ResizeShorter) size(h, w int) (int, int) {
	if h <= w {
		return r.Size, r.Size * w / h
	}
	return r.Size * h / w, r.Size
}

// Apply writes the resized image into dst.
func (r ResizeShorter) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	oh, ow := r.size(src.H, src.W)
	return resize(dst, src, box{H: src.H, W: src.W}, oh, ow, &ctx.resize)
}

// resizeScratch is the memory one resize reuses: both filters and the intermediate
// image of row-filtered values.
type resizeScratch struct {
	x, y resizeFilter
	mid  []float32
}

// resizeFilter maps an axis of in pixels to out pixels: output i is the sum over
// k < sizes[i] of weights[i*taps+k] times input starts[i]+k.
type resizeFilter struct {
	taps    int
	weights []float32
	starts  []int
	sizes   []int
}

// build computes normalised triangle weights centred on each output pixel's
// centre, in float32 and in the order of PyTorch's antialiased bilinear kernel
// (_compute_weights_aa), so that the weights match it bit for bit.
func (f *resizeFilter) build(in, out int) {
	scale := float32(in) / float32(out)
	support, invScale := float32(1), float32(1)
	if scale >= 1 {
		support, invScale = scale, float32(1/float64(scale))
	}
	f.taps = int(math.Ceil(float64(support)))*2 + 1
	f.weights = grow(f.weights, out*f.taps)
	f.starts = grow(f.starts, out)
	f.sizes = grow(f.sizes, out)
	for i := range out {
		centre := float32(float64(scale) * (float64(i) + 0.5))
		lo := max(int(float64(centre-support)+0.5), 0)
		size := min(min(int(float64(centre+support)+0.5), in)-lo, f.taps)
		wts := f.weights[i*f.taps : i*f.taps+size]
		var total float32
		for k := range wts {
			d := float32((float64(float32(lo+k)-centre) + 0.5) * float64(invScale))
			wts[k] = max(0, 1-float32(math.Abs(float64(d))))
			total += wts[k]
		}
		for k := range wts {
			wts[k] /= total
		}
		f.starts[i], f.sizes[i] = lo, size
	}
}

// box is a rectangle of an image: its top-left corner and its size.
type box struct{ Top, Left, H, W int }

// resize scales the window b of src to oh×ow: it filters rows, then columns,
// rounding half to even at the end. b must lie inside src.
func resize(dst *data.Image, src data.Image, b box, oh, ow int, s *resizeScratch) data.Image {
	out := shape(dst, src.C, oh, ow)
	s.x.build(b.W, ow)
	s.y.build(b.H, oh)
	s.mid = grow(s.mid, src.C*b.H*ow)
	for c := range src.C {
		for y := range b.H {
			from := (c*src.H+b.Top+y)*src.W + b.Left
			in := src.Pix[from : from+b.W]
			row := s.mid[(c*b.H+y)*ow : (c*b.H+y+1)*ow]
			for x := range row {
				wts := s.x.weights[x*s.x.taps : x*s.x.taps+s.x.sizes[x]]
				taps := in[s.x.starts[x]:]
				v := float32(taps[0]) * wts[0]
				for k := 1; k < len(wts); k++ {
					v = fma32(float32(taps[k]), wts[k], v)
				}
				row[x] = v
			}
		}
	}
	for c := range src.C {
		plane := s.mid[c*b.H*ow : (c+1)*b.H*ow]
		for y := range oh {
			row := out.Pix[(c*oh+y)*ow : (c*oh+y+1)*ow]
			wts := s.y.weights[y*s.y.taps : y*s.y.taps+s.y.sizes[y]]
			first := plane[s.y.starts[y]*ow:]
			for x := range row {
				v := first[x] * wts[0]
				for k := 1; k < len(wts); k++ {
					v = fma32(first[k*ow+x], wts[k], v)
				}
				row[x] = uint8(math.RoundToEven(float64(min(255, max(0, v)))))
			}
		}
	}
	return out
}
