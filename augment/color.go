package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Brightness multiplies every value by Factor (torchvision's adjust_brightness),
// rounding to nearest and clamping to [0, 255].
type Brightness struct{ Factor float64 }

// OutputShape checks the factor and keeps the shape.
func (b Brightness) OutputShape(c, h, w int) (int, int, int, error) {
	if !(b.Factor >= 0) || math.IsInf(b.Factor, 0) {
		return 0, 0, 0, fmt.Errorf("brightness factor %v must be a non-negative number", b.Factor)
	}
	return c, h, w, nil
}

// Apply writes the adjusted image into dst.
func (b Brightness) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	var lut [256]uint8
	affineTable(&lut, b.Factor, 0)
	return mapValues(dst, src, &lut)
}

// Contrast blends every value with the mean grey level m of the image:
// Factor·p + (1−Factor)·m (torchvision's adjust_contrast), rounding to nearest and
// clamping. The grey level of an RGB pixel is 0.299R + 0.587G + 0.114B; an image with
// another channel count uses the mean over all its values.
type Contrast struct{ Factor float64 }

// OutputShape checks the factor and keeps the shape.
func (ct Contrast) OutputShape(c, h, w int) (int, int, int, error) {
	if !(ct.Factor >= 0) || math.IsInf(ct.Factor, 0) {
		return 0, 0, 0, fmt.Errorf("contrast factor %v must be a non-negative number", ct.Factor)
	}
	return c, h, w, nil
}

// Apply writes the adjusted image into dst.
func (ct Contrast) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	var lut [256]uint8
	affineTable(&lut, ct.Factor, (1-ct.Factor)*meanGrey(src))
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
	affineTable(&lut, c, (1-c)*meanGrey(out))
	return mapValues(dst, out, &lut) // in place: mapValues reads each value before writing it
}

// affineTable sets lut[p] = clamp(round(scale·p + shift)).
func affineTable(lut *[256]uint8, scale, shift float64) {
	for p := range lut {
		lut[p] = uint8(min(255, max(0, math.Round(scale*float64(p)+shift))))
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

// meanGrey is the mean grey level of m (see Contrast).
func meanGrey(m data.Image) float64 {
	if m.C != 3 {
		var sum int
		for _, p := range m.Pix {
			sum += int(p)
		}
		return float64(sum) / float64(len(m.Pix))
	}
	var sums [3]int
	for c := range 3 {
		for _, p := range m.Plane(c) {
			sums[c] += int(p)
		}
	}
	return (0.299*float64(sums[0]) + 0.587*float64(sums[1]) + 0.114*float64(sums[2])) / float64(m.H*m.W)
}
