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
// downwards) about its centre ((W−1)/2, (H−1)/2), keeping its size, as
// torchvision's rotate does: output pixel (x, y) samples the input at the inversely
// rotated point, and points outside the input take Fill. Bilinear results are
// rounded half to even.
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
	cos, sin := cosSinDegrees(r.Degrees)
	cx, cy := float64(src.W-1)/2, float64(src.H-1)/2
	plane := src.H * src.W
	for y := range src.H {
		dy := float64(y) - cy
		for x := range src.W {
			dx := float64(x) - cx
			sx := cx + dx*cos - dy*sin
			sy := cy + dx*sin + dy*cos
			o := y*src.W + x
			if r.Interpolation == Nearest {
				ix, iy := int(math.RoundToEven(sx)), int(math.RoundToEven(sy))
				if ix < 0 || ix >= src.W || iy < 0 || iy >= src.H {
					for c := range src.C {
						out.Pix[c*plane+o] = r.Fill
					}
					continue
				}
				for c := range src.C {
					out.Pix[c*plane+o] = src.Pix[c*plane+iy*src.W+ix]
				}
				continue
			}
			x0, y0 := math.Floor(sx), math.Floor(sy)
			fx, fy := sx-x0, sy-y0
			ix, iy := int(x0), int(y0)
			for c := range src.C {
				p := src.Pix[c*plane : (c+1)*plane]
				at := func(x, y int) float64 {
					if x < 0 || x >= src.W || y < 0 || y >= src.H {
						return float64(r.Fill)
					}
					return float64(p[y*src.W+x])
				}
				v := (1-fy)*((1-fx)*at(ix, iy)+fx*at(ix+1, iy)) + fy*((1-fx)*at(ix, iy+1)+fx*at(ix+1, iy+1))
				out.Pix[c*plane+o] = uint8(math.RoundToEven(min(255, max(0, v))))
			}
		}
	}
	return out
}

// cosSinDegrees is exact for multiples of 90°, so quarter turns move pixels exactly.
func cosSinDegrees(deg float64) (float64, float64) {
	if q := deg / 90; q == math.Trunc(q) {
		switch int(math.Mod(q, 4)+4) % 4 {
		case 0:
			return 1, 0
		case 1:
			return 0, 1
		case 2:
			return -1, 0
		default:
			return 0, -1
		}
	}
	rad := deg * math.Pi / 180
	return math.Cos(rad), math.Sin(rad)
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
