package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// RandAugment is torchvision's RandAugment(num_ops=N, magnitude=M,
// num_magnitude_bins=Bins) (Cubuk et al., 2020): N times in a row it applies one
// operation drawn uniformly from its fourteen (see autoOp), at magnitude bin M,
// negated with probability 1/2 for the signed ones. Bins 0 means torchvision's 31;
// the bins span torchvision's ranges (shear 0–0.3, translation 0–150/331 of the
// side, rotation 0–30°, colour factors 1±0–0.9, posterize 8–4 bits, solarize
// 255–0).
//
// The geometric operations sample as Interpolation says (torchvision's default is
// Nearest; its ImageNet recipes use Bilinear) and fill uncovered pixels with Fill:
// 0 is torchvision's default fill=None (zero padding, border pixels not blended
// with a fill), another value its fill=[Fill]*C. Images must be RGB or grey, as in
// torchvision.
type RandAugment struct {
	N, M          int
	Bins          int
	Interpolation Interpolation
	Fill          uint8
}

// OutputShape checks the parameters and the channel count, and keeps the shape.
func (r RandAugment) OutputShape(c, h, w int) (int, int, int, error) {
	bins := binsOrDefault(r.Bins)
	if r.N < 0 {
		return 0, 0, 0, fmt.Errorf("RandAugment with %d operations: want 0 or more", r.N)
	}
	if bins < 2 || r.M < 0 || r.M >= bins {
		return 0, 0, 0, fmt.Errorf("RandAugment magnitude %d of %d bins: want at least 2 bins and 0 ≤ magnitude < bins", r.M, bins)
	}
	return checkAutoAugment(r.Interpolation, c, h, w)
}

// Apply draws and applies the N operations; each draws its operation, then its
// sign when signed.
func (r RandAugment) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	bins := binsOrDefault(r.Bins)
	return chain(dst, src, ctx, r.N, func(_ int, out *data.Image, cur data.Image) data.Image {
		op := autoOp(ctx.Rand.IntN(numAutoOps))
		mag := randAugmentMagnitude(op, r.M, bins, cur.H, cur.W)
		if op.signed() && ctx.Rand.IntN(2) == 1 {
			mag = -mag
		}
		return op.apply(out, cur, mag, r.Interpolation, r.Fill, ctx)
	})
}

// TrivialAugmentWide is torchvision's TrivialAugmentWide(num_magnitude_bins=Bins)
// (Müller & Hutter, 2021): one operation drawn uniformly from the fourteen of
// RandAugment, at a magnitude bin drawn uniformly, negated with probability 1/2
// for the signed ones. Its ranges are wider than RandAugment's: shear 0–0.99,
// translation 0–32 pixels, rotation 0–135°, colour factors 1±0–0.99, posterize
// 8–2 bits. Bins 0 means 31; Interpolation and Fill are as in RandAugment.
type TrivialAugmentWide struct {
	Bins          int
	Interpolation Interpolation
	Fill          uint8
}

// OutputShape checks the parameters and the channel count, and keeps the shape.
func (t TrivialAugmentWide) OutputShape(c, h, w int) (int, int, int, error) {
	if bins := binsOrDefault(t.Bins); bins < 2 {
		return 0, 0, 0, fmt.Errorf("TrivialAugmentWide with %d magnitude bins: want at least 2", bins)
	}
	return checkAutoAugment(t.Interpolation, c, h, w)
}

// Apply draws the operation, then its magnitude bin (for operations that have a
// magnitude), then its sign (for signed ones), and applies it.
func (t TrivialAugmentWide) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	bins := binsOrDefault(t.Bins)
	op := autoOp(ctx.Rand.IntN(numAutoOps))
	var mag float64
	if op.hasMagnitude() {
		mag = trivialAugmentMagnitude(op, ctx.Rand.IntN(bins), bins)
	}
	if op.signed() && ctx.Rand.IntN(2) == 1 {
		mag = -mag
	}
	return op.apply(dst, src, mag, t.Interpolation, t.Fill, ctx)
}

func binsOrDefault(bins int) int {
	if bins == 0 {
		return 31
	}
	return bins
}

func checkAutoAugment(interp Interpolation, c, h, w int) (int, int, int, error) {
	if err := interp.check(); err != nil {
		return 0, 0, 0, err
	}
	if c != 1 && c != 3 {
		return 0, 0, 0, fmt.Errorf("automatic augmentation of %d-channel images: want 1 (grey) or 3 (RGB)", c)
	}
	return c, h, w, nil
}

// autoOp is one operation of RandAugment and TrivialAugmentWide, numbered in
// torchvision's order, which is the order in which they are drawn.
type autoOp int

const (
	opIdentity autoOp = iota
	opShearX
	opShearY
	opTranslateX
	opTranslateY
	opRotate
	opBrightness
	opColor
	opContrast
	opSharpness
	opPosterize
	opSolarize
	opAutoContrast
	opEqualize
	numAutoOps int = iota
)

var autoOpNames = [numAutoOps]string{
	"Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness",
	"Color", "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize",
}

func (op autoOp) String() string { return autoOpNames[op] }

// hasMagnitude tells the operations whose strength varies with the bin.
func (op autoOp) hasMagnitude() bool {
	return op != opIdentity && op != opAutoContrast && op != opEqualize
}

// signed tells the operations whose magnitude is negated half of the time.
func (op autoOp) signed() bool { return op >= opShearX && op <= opSharpness }

// randAugmentMagnitude is RandAugment's magnitude of op at bin m of bins for an
// h×w image, the float32 value of torchvision's table.
func randAugmentMagnitude(op autoOp, m, bins, h, w int) float64 {
	switch op {
	case opShearX, opShearY:
		return float64(linspace32(0, 0.3, bins, m))
	case opTranslateX:
		return float64(linspace32(0, 150.0/331.0*float64(w), bins, m))
	case opTranslateY:
		return float64(linspace32(0, 150.0/331.0*float64(h), bins, m))
	case opRotate:
		return float64(linspace32(0, 30, bins, m))
	case opBrightness, opColor, opContrast, opSharpness:
		return float64(linspace32(0, 0.9, bins, m))
	case opPosterize:
		return posterizeBits(4, m, bins)
	case opSolarize:
		return float64(linspace32(255, 0, bins, m))
	}
	return 0
}

// trivialAugmentMagnitude is TrivialAugmentWide's magnitude of op at bin m.
func trivialAugmentMagnitude(op autoOp, m, bins int) float64 {
	switch op {
	case opShearX, opShearY, opBrightness, opColor, opContrast, opSharpness:
		return float64(linspace32(0, 0.99, bins, m))
	case opTranslateX, opTranslateY:
		return float64(linspace32(0, 32, bins, m))
	case opRotate:
		return float64(linspace32(0, 135, bins, m))
	case opPosterize:
		return posterizeBits(6, m, bins)
	case opSolarize:
		return float64(linspace32(255, 0, bins, m))
	}
	return 0
}

// posterizeBits is torchvision's posterize table, 8 − round(m / ((bins−1)/drop))
// in float32 with ties to even: from 8 bits down to 8−drop.
func posterizeBits(drop float64, m, bins int) float64 {
	q := float32(m) / float32(float64(bins-1)/drop)
	return float64(8 - int(math.RoundToEven(float64(q))))
}

// linspace32 is element i of torch.linspace(start, end, steps) in float32, as
// PyTorch 1.13's CPU kernel computes it (AVX2 build): the first half counts up
// from start and the second down from end, each point start+step·i (or
// end−step·(steps−1−i)) with one rounding; but the first steps/16·16 points come in
// vectors of 8 whose first point is so computed and the others add k·step to it.
func linspace32(start, end float64, steps, i int) float32 {
	a, b := float32(start), float32(end)
	if steps == 1 {
		return a
	}
	step := (b - a) / float32(steps-1)
	point := func(i int) float32 {
		if i < steps/2 {
			return fma32(step, float32(i), a)
		}
		return fma32(-step, float32(steps-1-i), b)
	}
	if i < steps/16*16 {
		first := i / 8 * 8
		return point(first) + float32(float32(i-first)*step)
	}
	return point(i)
}

// corner is the pixel coordinate (0, 0), the centre of RandAugment's shears.
var corner = [2]float64{0, 0}

// apply is torchvision's _apply_op: op at the signed magnitude mag, with fill 0
// meaning fill=None (see RandAugment).
func (op autoOp) apply(dst *data.Image, src data.Image, mag float64, interp Interpolation, fill uint8, ctx *Context) data.Image {
	switch op {
	case opShearX, opShearY:
		a := Affine{Center: &corner}
		shear := math.Atan(mag) * (180 / math.Pi) // Python's math.degrees(math.atan(mag))
		if op == opShearX {
			a.ShearX = shear
		} else {
			a.ShearY = shear
		}
		return warp(dst, src, a.grid(src.W, src.H), interp, fill, fill != 0)
	case opTranslateX:
		// A whole-pixel translation samples pixel centres exactly, so the window is
		// torchvision's affine translation by int(mag) with either interpolation.
		return Translate{DX: int(mag), Fill: fill}.Apply(dst, src, ctx)
	case opTranslateY:
		return Translate{DY: int(mag), Fill: fill}.Apply(dst, src, ctx)
	case opRotate:
		return warp(dst, src, Rotate{Degrees: mag}.grid(src.W, src.H), interp, fill, fill != 0)
	case opBrightness:
		return Brightness{Factor: 1 + mag}.Apply(dst, src, ctx)
	case opColor:
		return Saturation{Factor: 1 + mag}.Apply(dst, src, ctx)
	case opContrast:
		return Contrast{Factor: 1 + mag}.Apply(dst, src, ctx)
	case opSharpness:
		return Sharpness{Factor: 1 + mag}.Apply(dst, src, ctx)
	case opPosterize:
		return Posterize{Bits: int(mag)}.Apply(dst, src, ctx)
	case opSolarize:
		return Solarize{Threshold: mag}.Apply(dst, src, ctx)
	case opAutoContrast:
		return AutoContrast{}.Apply(dst, src, ctx)
	case opEqualize:
		return Equalize{}.Apply(dst, src, ctx)
	}
	return src // identity
}
