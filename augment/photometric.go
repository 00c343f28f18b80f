package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// The photometric operations of RandAugment and TrivialAugment, each exactly as
// torchvision 0.14's functional_tensor computes it on uint8 images.

// Invert replaces every value p by 255−p (torchvision's invert).
type Invert struct{}

// OutputShape keeps the shape.
func (Invert) OutputShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply writes the inverted image into dst.
func (Invert) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	var lut [256]uint8
	for p := range lut {
		lut[p] = 255 - uint8(p)
	}
	return mapValues(dst, src, &lut)
}

// Posterize keeps the Bits most significant bits of every value and clears the
// others (torchvision's posterize); 0 bits give black, 8 the image itself.
type Posterize struct{ Bits int }

// OutputShape checks the bit count.
func (p Posterize) OutputShape(c, h, w int) (int, int, int, error) {
	if p.Bits < 0 || p.Bits > 8 {
		return 0, 0, 0, fmt.Errorf("posterize to %d bits: want 0 to 8", p.Bits)
	}
	return c, h, w, nil
}

// Apply writes the posterized image into dst.
func (p Posterize) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	mask := uint8(0xff << (8 - p.Bits))
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(v) & mask
	}
	return mapValues(dst, src, &lut)
}

// Solarize inverts every value at or above Threshold (torchvision's solarize,
// which compares in float32).
type Solarize struct{ Threshold float64 }

// OutputShape checks the threshold.
func (s Solarize) OutputShape(c, h, w int) (int, int, int, error) {
	if math.IsNaN(s.Threshold) || s.Threshold > 255 {
		return 0, 0, 0, fmt.Errorf("solarize threshold %v: want a number up to 255", s.Threshold)
	}
	return c, h, w, nil
}

// Apply writes the solarized image into dst.
func (s Solarize) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	threshold := float32(s.Threshold)
	var lut [256]uint8
	for p := range lut {
		lut[p] = uint8(p)
		if float32(p) >= threshold {
			lut[p] = 255 - uint8(p)
		}
	}
	return mapValues(dst, src, &lut)
}

// AutoContrast stretches each channel's range [lo, hi] to [0, 255]: p becomes
// (p−lo)·scale in float32, truncated, as torchvision's autocontrast computes it,
// where scale is PyTorch's 255/(hi−lo): the float32 reciprocal times 255 (so hi
// itself may map to 254). A constant channel is left as it is.
type AutoContrast struct{}

// OutputShape keeps the shape.
func (AutoContrast) OutputShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply writes the stretched image into dst.
func (AutoContrast) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	var lut [256]uint8
	for c := range src.C {
		in := src.Plane(c)
		lo, hi := uint8(255), uint8(0)
		for _, p := range in {
			lo, hi = min(lo, p), max(hi, p)
		}
		scale := float32(1)
		if hi == lo {
			lo = 0
		} else {
			scale = float32(1/float32(hi-lo)) * 255
		}
		for p := range lut {
			lut[p] = uint8(min(255, max(0, float32(float32(p)-float32(lo))*scale)))
		}
		mapPlane(out.Plane(c), in, &lut)
	}
	return out
}

// Equalize equalizes each channel's histogram as PIL's ImageOps.equalize does
// (torchvision's equalize): with n values in the channel, m of them equal to its
// largest value and step = (n−m)/255 rounded down, value p maps to
// (count below p + step/2)/step; a channel with step 0 is left as it is.
type Equalize struct{}

// OutputShape keeps the shape.
func (Equalize) OutputShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply writes the equalized image into dst.
func (Equalize) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	var lut [256]uint8
	for c := range src.C {
		in := src.Plane(c)
		var hist [256]int
		for _, p := range in {
			hist[p]++
		}
		top := 255
		for top > 0 && hist[top] == 0 {
			top--
		}
		step := (len(in) - hist[top]) / 255
		if step == 0 {
			copy(out.Plane(c), in)
			continue
		}
		below := 0
		for p := range lut {
			lut[p] = uint8(min(255, (below+step/2)/step))
			below += hist[p]
		}
		mapPlane(out.Plane(c), in, &lut)
	}
	return out
}

// Saturation blends an RGB image with its grey version (0.2989R + 0.587G + 0.114B,
// truncated): Factor·p + (1−Factor)·grey in float32, clamped and truncated, as
// torchvision's adjust_saturation does. Factor 0 gives the grey image, 1 the image
// itself; a one-channel image is left as it is.
type Saturation struct{ Factor float64 }

// OutputShape checks the factor and that the image is RGB or grey.
func (s Saturation) OutputShape(c, h, w int) (int, int, int, error) {
	if err := checkFactor("saturation", s.Factor); err != nil {
		return 0, 0, 0, err
	}
	if c != 1 && c != 3 {
		return 0, 0, 0, fmt.Errorf("saturation of a %d-channel image: want 1 (grey) or 3 (RGB)", c)
	}
	return c, h, w, nil
}

// Apply writes the blended image into dst.
func (s Saturation) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	if src.C == 1 {
		return src
	}
	out := shape(dst, src.C, src.H, src.W)
	var b blender
	b.init(s.Factor)
	r, g, bl := src.Plane(0), src.Plane(1), src.Plane(2)
	or, og, ob := out.Plane(0), out.Plane(1), out.Plane(2)
	for i := range r {
		y := grey(r[i], g[i], bl[i])
		or[i], og[i], ob[i] = b.blend(r[i], y), b.blend(g[i], y), b.blend(bl[i], y)
	}
	return out
}

// Sharpness blends the image with a smoothed version of itself, Factor·p +
// (1−Factor)·smooth in float32, clamped and truncated, as torchvision's
// adjust_sharpness does: inside a one-pixel border, smooth is the 3×3 average with
// the centre weighted 5 (weights 1/13 and 5/13) rounded to the nearest integer; on
// the border it is the pixel itself. Factors above 1 sharpen, below 1 blur; images
// with a side of at most 2 pixels are left as they are.
type Sharpness struct{ Factor float64 }

// OutputShape checks the factor and keeps the shape.
func (s Sharpness) OutputShape(c, h, w int) (int, int, int, error) {
	if err := checkFactor("sharpness", s.Factor); err != nil {
		return 0, 0, 0, err
	}
	return c, h, w, nil
}

// Apply writes the blended image into dst.
func (s Sharpness) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	if src.H <= 2 || src.W <= 2 {
		return src
	}
	out := shape(dst, src.C, src.H, src.W)
	var b blender
	b.init(s.Factor)
	w := src.W
	for c := range src.C {
		in, o := src.Plane(c), out.Plane(c)
		for y := range src.H {
			row := in[y*w : (y+1)*w]
			orow := o[y*w : (y+1)*w]
			if y == 0 || y == src.H-1 {
				for x, p := range row {
					orow[x] = b.blend(p, p)
				}
				continue
			}
			up, down := in[(y-1)*w:y*w], in[(y+1)*w:(y+2)*w]
			orow[0], orow[w-1] = b.blend(row[0], row[0]), b.blend(row[w-1], row[w-1])
			for x := 1; x < w-1; x++ {
				// The exact weighted sum n/13 is never within float32 error of a
				// half, so rounding it in integers gives PyTorch's rounded float32
				// convolution.
				n := int(up[x-1]) + int(up[x]) + int(up[x+1]) + int(row[x-1]) + 5*int(row[x]) + int(row[x+1]) +
					int(down[x-1]) + int(down[x]) + int(down[x+1])
				orow[x] = b.blend(row[x], uint8((n+6)/13))
			}
		}
	}
	return out
}

// blender computes torchvision's _blend of two uint8 values at a fixed ratio:
// ratio·a + (1−ratio)·b in float32, clamped to [0, 255] and truncated. Both
// products depend on one value each, so they come from tables.
type blender struct{ a, b [256]float32 }

func (bl *blender) init(ratio float64) {
	r, rest := float32(ratio), float32(1-ratio)
	for p := range bl.a {
		bl.a[p], bl.b[p] = r*float32(p), rest*float32(p)
	}
}

func (bl *blender) blend(a, b uint8) uint8 {
	return uint8(min(255, max(0, bl.a[a]+bl.b[b])))
}

// grey is torchvision's grey level of an RGB pixel: 0.2989R + 0.587G + 0.114B in
// float32, truncated to uint8.
func grey(r, g, b uint8) uint8 {
	v := float32(float32(0.2989)*float32(r)) + float32(float32(0.587)*float32(g))
	return uint8(float32(v + float32(float32(0.114)*float32(b))))
}

// mapPlane writes lut[p] for every value p of in into out.
func mapPlane(out, in []uint8, lut *[256]uint8) {
	out = out[:len(in)]
	for i, p := range in {
		out[i] = lut[p]
	}
}
