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

// check refuses a value that is neither Nearest nor Bilinear.
func (i Interpolation) check() error {
	if i != Nearest && i != Bilinear {
		return fmt.Errorf("unknown interpolation %d", int(i))
	}
	return nil
}

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
	if err := r.Interpolation.check(); err != nil {
		return 0, 0, 0, err
	}
	return c, h, w, nil
}

// Apply writes the rotated image into dst: torchvision's rotate is its affine
// transform by −Degrees about the centre.
func (r Rotate) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	return warp(dst, src, r.grid(src.W, src.H), r.Interpolation, r.Fill, true)
}

func (r Rotate) grid(w, h int) affineGrid {
	return newAffineGrid(inverseAffine(0, 0, -r.Degrees, 0, 0, 1, 0, 0), w, h)
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
