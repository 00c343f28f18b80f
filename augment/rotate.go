package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Interpolation chooses how a transform samples between pixels.
type Interpolation int

const (
	// Nearest takes the nearest pixel (coordinates rounded half to even).
	Nearest Interpolation = iota
	// Bilinear weighs the four surrounding pixels.
	Bilinear
)

// String names the interpolation as ParseInterpolation reads it.
func (i Interpolation) String() string {
	if i == Bilinear {
		return "bilinear"
	}
	return "nearest"
}

// ParseInterpolation reads "nearest" or "bilinear".
func ParseInterpolation(s string) (Interpolation, error) {
	switch s {
	case "nearest":
		return Nearest, nil
	case "bilinear":
		return Bilinear, nil
	}
	return 0, fmt.Errorf("augment: interpolation %q: want nearest or bilinear", s)
}

// Rotate turns the image by Degrees counter-clockwise as seen on screen (y grows
// downwards) about its centre ((W−1)/2, (H−1)/2), keeping its size: output pixel
// (x, y) samples the input at the inversely rotated point, and points outside the
// input take Fill.
//
// It follows torchvision 0.14's rotate of uint8 tensors step by step, in float32
// (grid, grid_sample with align_corners=False, rounding half to even), so results
// agree with it except where a coordinate lies within rounding error of a pixel
// boundary. With Bilinear, taps outside the input count as zero and the result v is
// blended with the fill by the in-bounds weight m as torchvision does: v·m + (1−m)·Fill.
type Rotate struct {
	Degrees       float64
	Interpolation Interpolation
	Fill          uint8
}

// OutputShape checks the angle and keeps the shape.
func (r Rotate) OutputShape(c, h, w int) (int, int, int, error) {
	if math.IsNaN(r.Degrees) || math.IsInf(r.Degrees, 0) {
		return 0, 0, 0, fmt.Errorf("rotation by %v degrees", r.Degrees)
	}
	if r.Interpolation != Nearest && r.Interpolation != Bilinear {
		return 0, 0, 0, fmt.Errorf("unknown interpolation %d", int(r.Interpolation))
	}
	return c, h, w, nil
}

// Apply writes the rotated image into dst.
func (r Rotate) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	g := newRotationGrid(r.Degrees, src.W, src.H)
	plane := src.H * src.W
	fill := float32(r.Fill)
	for y := range src.H {
		for x := range src.W {
			sx, sy := g.source(x, y)
			o := y*src.W + x
			if r.Interpolation == Nearest {
				ix, iy := int(math.RoundToEven(float64(sx))), int(math.RoundToEven(float64(sy)))
				inside := ix >= 0 && ix < src.W && iy >= 0 && iy < src.H
				for c := range src.C {
					if inside {
						out.Pix[c*plane+o] = src.Pix[c*plane+iy*src.W+ix]
					} else {
						out.Pix[c*plane+o] = r.Fill
					}
				}
				continue
			}
			// grid_sample's bilinear weights: distances to the west and north
			// neighbours, taps in the order nw, ne, sw, se, accumulated with FMA.
			fx, fy := float32(math.Floor(float64(sx))), float32(math.Floor(float64(sy)))
			ix, iy := int(fx), int(fy)
			we, no := sx-fx, sy-fy
			ea, so := 1-we, 1-no
			weights := [4]float32{so * ea, so * we, no * ea, no * we}
			offsets := [4]int{-1, -1, -1, -1} // index in a plane, or -1 outside
			var m float32                     // total weight inside the input
			for k, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				tx, ty := ix+d[0], iy+d[1]
				if tx >= 0 && tx < src.W && ty >= 0 && ty < src.H {
					offsets[k] = ty*src.W + tx
					m = fma32(weights[k], 1, m)
				}
			}
			for c := range src.C {
				p := src.Pix[c*plane : (c+1)*plane]
				var v float32
				for k, off := range offsets {
					if off >= 0 {
						v = fma32(weights[k], float32(p[off]), v)
					}
				}
				v = float32(v*m) + float32((1-m)*fill)
				out.Pix[c*plane+o] = uint8(math.RoundToEven(float64(min(255, max(0, v)))))
			}
		}
	}
	return out
}

// rotationGrid maps output pixels to input coordinates as torchvision's
// _gen_affine_grid and grid_sample do: the inverse rotation matrix in float32,
// scaled to normalised coordinates and back.
type rotationGrid struct {
	w, h               int
	r00, r10, r01, r11 float32
	halfW, halfH       float32
}

func newRotationGrid(degrees float64, w, h int) rotationGrid {
	rad := -degrees * (math.Pi / 180) // torchvision builds the inverse matrix for −angle
	cos, sin := float32(math.Cos(rad)), float32(math.Sin(rad))
	g := rotationGrid{w: w, h: h, halfW: float32(0.5 * float64(w)), halfH: float32(0.5 * float64(h))}
	g.r00, g.r10 = cos/g.halfW, sin/g.halfW
	g.r01, g.r11 = -sin/g.halfH, cos/g.halfH
	return g
}

// source returns the input coordinates sampled by output pixel (x, y).
func (g rotationGrid) source(x, y int) (float32, float32) {
	bx := float32(float64(x) - 0.5*float64(g.w-1)) // exact: a whole or half number
	by := float32(float64(y) - 0.5*float64(g.h-1))
	gx := fma32(by, g.r10, float32(bx*g.r00))
	gy := fma32(by, g.r11, float32(bx*g.r01))
	return fma32(gx+1, g.halfW, -0.5), fma32(gy+1, g.halfH, -0.5)
}

// fma32 is a·b + c rounded once to float32, as the FMA instructions of PyTorch's
// CPU kernels compute it. The product is exact in float64, so only the float64
// sum s is rounded. That matters only when s lands exactly halfway between two
// float32 values: then the sum's exact rounding error (TwoSum) moves s one float64
// step in its direction, so that float32 rounding follows it instead of ties-to-even.
func fma32(a, b, c float32) float32 {
	p, q := float64(a)*float64(b), float64(c)
	s := p + q
	if bits := math.Float64bits(s); bits<<35 == 1<<63 {
		if err := p - (s - (s - p)) + (q - (s - p)); err != 0 {
			// One step away from zero when err has the sign of s, else towards it.
			s = math.Float64frombits(bits + 1 - (math.Float64bits(err)^bits)>>63*2)
		}
	}
	return float32(s)
}

// RandomRotate is torchvision's RandomRotation(MaxDegrees): a rotation by an angle
// drawn uniformly from [−MaxDegrees, MaxDegrees].
type RandomRotate struct {
	MaxDegrees    float64
	Interpolation Interpolation
	Fill          uint8
}

// OutputShape checks the range and keeps the shape.
func (r RandomRotate) OutputShape(c, h, w int) (int, int, int, error) {
	if !(r.MaxDegrees >= 0 && r.MaxDegrees <= 360) {
		return 0, 0, 0, fmt.Errorf("rotation range ±%v degrees is not in [0, 360]", r.MaxDegrees)
	}
	return Rotate{Interpolation: r.Interpolation}.OutputShape(c, h, w)
}

// Apply draws the angle and rotates.
func (r RandomRotate) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	deg := ctx.uniform(-r.MaxDegrees, r.MaxDegrees)
	return Rotate{Degrees: deg, Interpolation: r.Interpolation, Fill: r.Fill}.Apply(dst, src, ctx)
}
