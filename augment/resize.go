package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Resize scales the image to Height×Width with a bilinear (triangle) filter over
// pixel centres, antialiased when shrinking: each output pixel averages the input
// pixels under a triangle as wide as the scale factor, as PIL's bilinear resize and
// torchvision's Resize(antialias=True) do. Enlarging is plain bilinear interpolation
// (align_corners=False) with edge pixels repeated. Results are rounded to nearest.
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
	return resize(dst, src, r.Height, r.Width, &ctx.resize)
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
	return resize(dst, src, oh, ow, &ctx.resize)
}

// resizeScratch is the memory one resize reuses: both filters and the intermediate
// image of row-filtered values.
type resizeScratch struct {
	x, y resizeFilter
	mid  []float32
}

// resizeFilter maps an axis of in pixels to out pixels: output i is the sum over
// k < taps of weights[i*taps+k] times input starts[i]+k.
type resizeFilter struct {
	taps    int
	weights []float32
	starts  []int
}

// build computes normalised triangle weights centred on each output pixel's centre.
func (f *resizeFilter) build(in, out int) {
	scale := float64(in) / float64(out)
	support := max(scale, 1) // triangle half-width in input pixels
	f.taps = min(in, int(math.Ceil(support))*2+1)
	f.weights = grow(f.weights, out*f.taps)
	f.starts = grow(f.starts, out)
	for i := range out {
		centre := (float64(i) + 0.5) * scale
		lo := max(0, int(math.Floor(centre-support)))
		lo = min(lo, in-f.taps) // keep every tap inside the input
		wts := f.weights[i*f.taps : (i+1)*f.taps]
		var sum float64
		for k := range wts {
			t := math.Abs(float64(lo+k)+0.5-centre) / support
			wt := max(0, 1-t)
			wts[k] = float32(wt)
			sum += wt
		}
		for k := range wts {
			wts[k] = float32(float64(wts[k]) / sum)
		}
		f.starts[i] = lo
	}
}

// resize filters rows, then columns.
func resize(dst *data.Image, src data.Image, oh, ow int, s *resizeScratch) data.Image {
	out := shape(dst, src.C, oh, ow)
	s.x.build(src.W, ow)
	s.y.build(src.H, oh)
	s.mid = grow(s.mid, src.C*src.H*ow)
	xt, yt := s.x.taps, s.y.taps
	for r := 0; r < src.C*src.H; r++ {
		in := src.Pix[r*src.W : (r+1)*src.W]
		row := s.mid[r*ow : (r+1)*ow]
		for x := range row {
			taps := in[s.x.starts[x] : s.x.starts[x]+xt]
			var v float32
			for k, wt := range s.x.weights[x*xt : (x+1)*xt] {
				v += wt * float32(taps[k])
			}
			row[x] = v
		}
	}
	for c := range src.C {
		plane := s.mid[c*src.H*ow : (c+1)*src.H*ow]
		for y := range oh {
			row := out.Pix[(c*oh+y)*ow : (c*oh+y+1)*ow]
			first := s.y.starts[y]
			for x := range row {
				var v float32
				for k, wt := range s.y.weights[y*yt : (y+1)*yt] {
					v += wt * plane[(first+k)*ow+x]
				}
				row[x] = uint8(min(255, max(0, v+0.5)))
			}
		}
	}
	return out
}
