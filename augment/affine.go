package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Affine is torchvision's affine: about Center, the image is sheared by ShearX
// degrees parallel to the x axis and ShearY parallel to the y axis, scaled by
// Scale, rotated by Angle degrees clockwise as seen on screen (y grows downwards),
// and then moved by (TranslateX, TranslateY) pixels, keeping its size. Output
// pixels sample the input at the inversely transformed point; points outside it
// take Fill.
//
// Center is in pixel coordinates with (0, 0) the top-left corner of the top-left
// pixel; nil means the image's centre (W/2, H/2). RandAugment's shears turn about
// (0, 0). Scale 0 means 1.
//
// Sampling follows torchvision 0.14's affine of uint8 tensors step by step (the
// inverse matrix in float64, then the grid and grid_sample in float32; see Rotate
// for the interpolations and the fill).
type Affine struct {
	Angle                  float64
	TranslateX, TranslateY float64
	Scale                  float64
	ShearX, ShearY         float64
	Center                 *[2]float64
	Interpolation          Interpolation
	Fill                   uint8
}

// OutputShape checks the parameters and keeps the shape.
func (a Affine) OutputShape(c, h, w int) (int, int, int, error) {
	values := []float64{a.Angle, a.TranslateX, a.TranslateY, a.Scale, a.ShearX, a.ShearY}
	if a.Center != nil {
		values = append(values, a.Center[0], a.Center[1])
	}
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, 0, 0, fmt.Errorf("affine transform %+v: parameters must be finite", a)
		}
	}
	if a.Scale < 0 {
		return 0, 0, 0, fmt.Errorf("affine scale %v must be positive", a.Scale)
	}
	if math.Abs(math.Mod(a.ShearX, 180)) == 90 || math.Abs(math.Mod(a.ShearY, 180)) == 90 {
		return 0, 0, 0, fmt.Errorf("affine shear (%v, %v) degrees: ±90 is degenerate", a.ShearX, a.ShearY)
	}
	if err := a.Interpolation.check(); err != nil {
		return 0, 0, 0, err
	}
	return c, h, w, nil
}

// Apply writes the transformed image into dst.
func (a Affine) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	return warp(dst, src, a.grid(src.W, src.H), a.Interpolation, a.Fill, true)
}

// grid is the sampling grid of the transform for w×h images.
func (a Affine) grid(w, h int) affineGrid {
	// torchvision's centre is relative to the image's centre.
	var cx, cy float64
	if a.Center != nil {
		cx, cy = a.Center[0]-float64(w)*0.5, a.Center[1]-float64(h)*0.5
	}
	scale := a.Scale
	if scale == 0 {
		scale = 1
	}
	m := inverseAffine(cx, cy, a.Angle, a.TranslateX, a.TranslateY, scale, a.ShearX, a.ShearY)
	return newAffineGrid(m, w, h)
}

// inverseAffine is torchvision's _get_inverse_affine_matrix: the 2×3 matrix that
// maps output points to input points, relative to the image's centre, for the
// shear (degrees), scale, clockwise rotation and translation about (cx, cy).
// It computes in float64 in Python's order; the conversions keep Go from fusing
// a multiply and an add.
func inverseAffine(cx, cy, angle, tx, ty, scale, shearX, shearY float64) [6]float64 {
	const degToRad = math.Pi / 180
	rot, sx, sy := angle*degToRad, shearX*degToRad, shearY*degToRad
	cosSy := math.Cos(sy)
	a := math.Cos(rot-sy) / cosSy
	b := float64(-math.Cos(rot-sy)*math.Tan(sx))/cosSy - math.Sin(rot)
	c := math.Sin(rot-sy) / cosSy
	d := float64(-math.Sin(rot-sy)*math.Tan(sx))/cosSy + math.Cos(rot)
	m := [6]float64{d / scale, -b / scale, 0, -c / scale, a / scale, 0}
	m[2] += float64(m[0]*(-cx-tx)) + float64(m[1]*(-cy-ty))
	m[5] += float64(m[3]*(-cx-tx)) + float64(m[4]*(-cy-ty))
	m[2] += cx
	m[5] += cy
	return m
}

// affineGrid maps output pixels to input coordinates as torchvision's
// _gen_affine_grid and grid_sample do: the matrix in float32, divided by the
// half-sizes to give normalised coordinates, which grid_sample scales back.
type affineGrid struct {
	w, h         int
	m            [6]float32 // the matrix over the half-sizes
	halfW, halfH float32
}

func newAffineGrid(m [6]float64, w, h int) affineGrid {
	g := affineGrid{w: w, h: h, halfW: float32(0.5 * float64(w)), halfH: float32(0.5 * float64(h))}
	for k := range 3 {
		g.m[k] = float32(m[k]) / g.halfW
		g.m[3+k] = float32(m[3+k]) / g.halfH
	}
	return g
}

// source returns the input coordinates sampled by output pixel (x, y): the
// matrix product accumulated as PyTorch's bmm does, x's term, then y's fused,
// then the constant.
func (g affineGrid) source(x, y int) (float32, float32) {
	bx := float32(float64(x) - 0.5*float64(g.w-1)) // exact: a whole or half number
	by := float32(float64(y) - 0.5*float64(g.h-1))
	gx := fma32(by, g.m[1], float32(bx*g.m[0])) + g.m[2]
	gy := fma32(by, g.m[4], float32(bx*g.m[3])) + g.m[5]
	return fma32(gx+1, g.halfW, -0.5), fma32(gy+1, g.halfH, -0.5)
}

// warp samples src at the grid's points into dst as torchvision's grid_sample
// (align_corners=False, zero padding) does, and then, when blend is set, its fill
// mask (torchvision's fill given, not None): bilinear values are blended with fill
// by their in-bounds weight and nearest ones outside take fill. Without blend,
// taps outside count as zero, as with torchvision's fill=None (fill must be 0).
func warp(dst *data.Image, src data.Image, g affineGrid, interp Interpolation, fill uint8, blend bool) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	plane := src.H * src.W
	fillF := float32(fill)
	for y := range src.H {
		for x := range src.W {
			sx, sy := g.source(x, y)
			o := y*src.W + x
			if interp == Nearest {
				ix, iy := int(math.RoundToEven(float64(sx))), int(math.RoundToEven(float64(sy)))
				inside := ix >= 0 && ix < src.W && iy >= 0 && iy < src.H
				for c := range src.C {
					if inside {
						out.Pix[c*plane+o] = src.Pix[c*plane+iy*src.W+ix]
					} else {
						out.Pix[c*plane+o] = fill
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
				if blend {
					v = float32(v*m) + float32((1-m)*fillF)
				}
				out.Pix[c*plane+o] = uint8(math.RoundToEven(float64(min(255, max(0, v)))))
			}
		}
	}
	return out
}
