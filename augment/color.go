package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Brightness multiplies every value by Factor, exactly as torchvision's
// adjust_brightness does for uint8 tensors: in float32, clamped to [0, 255], then
// truncated.
type Brightness struct{ Factor float64 }

// OutputShape checks the factor and keeps the shape.
func (b Brightness) OutputShape(c, h, w int) (int, int, int, error) {
	if err := checkFactor("brightness", b.Factor); err != nil {
		return 0, 0, 0, err
	}
	return c, h, w, nil
}

// Apply writes the adjusted image into dst.
func (b Brightness) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	var lut [256]uint8
	blendTable(&lut, b.Factor, 0)
	return mapValues(dst, src, &lut)
}

// Contrast blends every value with the mean grey level m of the image,
// Factor·p + (1−Factor)·m, exactly as torchvision's adjust_contrast does for uint8
// tensors: the grey level of an RGB pixel is 0.2989R + 0.587G + 0.114B truncated to
// uint8, the blend is computed in float32, clamped and truncated. A one-channel
// image uses its own mean, and (beyond torchvision) an image with another channel
// count the mean over all its values.
type Contrast struct{ Factor float64 }

// OutputShape checks the factor and keeps the shape.
func (ct Contrast) OutputShape(c, h, w int) (int, int, int, error) {
	if err := checkFactor("contrast", ct.Factor); err != nil {
		return 0, 0, 0, err
	}
	return c, h, w, nil
}

// Apply writes the adjusted image into dst.
func (ct Contrast) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	var lut [256]uint8
	blendTable(&lut, ct.Factor, meanGrey(src))
	return mapValues(dst, src, &lut)
}

// ColorJitter is torchvision's ColorJitter(brightness, contrast): factors drawn
// uniformly from [max(0, 1−Brightness), 1+Brightness] and [max(0, 1−Contrast),
// 1+Contrast], applied in that order (torchvision shuffles the order).
type ColorJitter struct{ Brightness, Contrast float64 }

// OutputShape checks the ranges and keeps the shape.
func (j ColorJitter) OutputShape(c, h, w int) (int, int, int, error) {
	if !(j.Brightness >= 0 && j.Contrast >= 0) || math.IsInf(j.Brightness+j.Contrast, 0) {
		return 0, 0, 0, fmt.Errorf("colour jitter %v, %v: ranges must be non-negative numbers", j.Brightness, j.Contrast)
	}
	return c, h, w, nil
}

// Apply draws the brightness factor, then the contrast factor, and applies both.
func (j ColorJitter) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	b := ctx.uniform(max(0, 1-j.Brightness), 1+j.Brightness)
	c := ctx.uniform(max(0, 1-j.Contrast), 1+j.Contrast)
	out := Brightness{Factor: b}.Apply(dst, src, ctx)
	var lut [256]uint8
	blendTable(&lut, c, meanGrey(out))
	return mapValues(dst, out, &lut) // in place: mapValues reads each value before writing it
}

// checkFactor refuses a blend factor that is negative or not a finite number.
func checkFactor(what string, factor float64) error {
	if !(factor >= 0) || math.IsInf(factor, 0) {
		return fmt.Errorf("%s factor %v must be a non-negative number", what, factor)
	}
	return nil
}

// blendTable sets lut[p] to torchvision's _blend of p with other at ratio:
// ratio·p + (1−ratio)·other in float32, clamped to [0, 255] and truncated.
func blendTable(lut *[256]uint8, ratio float64, other float32) {
	r, rest := float32(ratio), float32(1-ratio)
	for p := range lut {
		v := float32(r*float32(p)) + float32(rest*other)
		lut[p] = uint8(min(255, max(0, v)))
	}
}

// mapValues writes lut[p] for every value p of src into dst (which may be src).
func mapValues(dst *data.Image, src data.Image, lut *[256]uint8) data.Image {
	if !samePixels(*dst, src) {
		shape(dst, src.C, src.H, src.W)
	}
	out := dst.Pix[:len(src.Pix)]
	for i, p := range src.Pix {
		out[i] = lut[p]
	}
	return *dst
}

// meanGrey is the mean grey level of m in float32 (see Contrast).
func meanGrey(m data.Image) float32 {
	var sum int
	if m.C != 3 {
		for _, p := range m.Pix {
			sum += int(p)
		}
		return float32(sum) / float32(len(m.Pix))
	}
	r, g, b := m.Plane(0), m.Plane(1), m.Plane(2)
	for i := range r {
		sum += int(grey(r[i], g[i], b[i]))
	}
	return float32(sum) / float32(len(r))
}
