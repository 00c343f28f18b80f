package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// ResizedCrop is torchvision's resized_crop: the Height×Width box whose top-left
// corner is (Top, Left), resized to OutHeight×OutWidth as Resize does (antialiased
// bilinear). The box must lie inside the image.
type ResizedCrop struct {
	Top, Left, Height, Width int
	OutHeight, OutWidth      int
}

// OutputShape checks the box and the output size.
func (r ResizedCrop) OutputShape(c, h, w int) (int, int, int, error) {
	if r.Height < 1 || r.Width < 1 || r.Top < 0 || r.Left < 0 || r.Top+r.Height > h || r.Left+r.Width > w {
		return 0, 0, 0, fmt.Errorf("crop box %d×%d at (%d, %d) is empty or leaves the %d×%d image", r.Height, r.Width, r.Top, r.Left, h, w)
	}
	if r.OutHeight < 1 || r.OutWidth < 1 {
		return 0, 0, 0, fmt.Errorf("resized crop to %d×%d: sizes must be positive", r.OutHeight, r.OutWidth)
	}
	return c, r.OutHeight, r.OutWidth, nil
}

// Apply resizes the box straight from src into dst, without copying it first.
func (r ResizedCrop) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	return resize(dst, src, box{Top: r.Top, Left: r.Left, H: r.Height, W: r.Width}, r.OutHeight, r.OutWidth, &ctx.resize)
}

// RandomResizedCrop is torchvision's RandomResizedCrop(size, scale, ratio) with
// antialiased bilinear resizing, the training crop of ImageNet recipes: it draws a
// box covering a fraction of the image's area uniform in Scale, with an aspect ratio
// (width/height) log-uniform in Ratio, and resizes it to Height×Width. As in
// torchvision it tries ten times to draw a box that fits and then falls back to the
// central box of the image, clamped to the ratio range. Zero ranges mean
// torchvision's defaults, Scale (0.08, 1) and Ratio (3/4, 4/3).
type RandomResizedCrop struct {
	Height, Width int
	Scale, Ratio  [2]float64
}

func (r RandomResizedCrop) ranges() (scale, ratio [2]float64) {
	scale, ratio = r.Scale, r.Ratio
	if scale == [2]float64{} {
		scale = [2]float64{0.08, 1}
	}
	if ratio == [2]float64{} {
		ratio = [2]float64{3.0 / 4, 4.0 / 3}
	}
	return scale, ratio
}

// OutputShape checks the size and the ranges.
func (r RandomResizedCrop) OutputShape(c, h, w int) (int, int, int, error) {
	if r.Height < 1 || r.Width < 1 {
		return 0, 0, 0, fmt.Errorf("random resized crop to %d×%d: sizes must be positive", r.Height, r.Width)
	}
	scale, ratio := r.ranges()
	if err := checkAreaRanges("random resized crop", scale, ratio); err != nil {
		return 0, 0, 0, err
	}
	return c, r.Height, r.Width, nil
}

// Apply draws the box and resizes it.
func (r RandomResizedCrop) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	b := r.drawBox(src.H, src.W, ctx)
	return resize(dst, src, b, r.Height, r.Width, &ctx.resize)
}

// drawBox is torchvision's RandomResizedCrop.get_params. Each try draws the area
// fraction, then the log-ratio; a box that fits draws its top row, then its left
// column. Sizes are rounded half to even, as Python's round does.
func (r RandomResizedCrop) drawBox(h, w int, ctx *Context) box {
	scale, ratio := r.ranges()
	for range 10 {
		bw, bh := drawSides(ctx, float64(h*w), scale, ratio)
		if 0 < bw && bw <= w && 0 < bh && bh <= h {
			top := ctx.intIn(0, h-bh)
			left := ctx.intIn(0, w-bw)
			return box{Top: top, Left: left, H: bh, W: bw}
		}
	}
	return centralBox(h, w, ratio)
}

// checkAreaRanges refuses an area fraction range outside (0, 1] or an aspect
// ratio range that is not positive and finite (what names the transform).
func checkAreaRanges(what string, scale, ratio [2]float64) error {
	if !(scale[0] > 0 && scale[0] <= scale[1] && scale[1] <= 1) {
		return fmt.Errorf("%s scale range %v: want 0 < lo ≤ hi ≤ 1", what, scale)
	}
	if !(ratio[0] > 0 && ratio[0] <= ratio[1] && !math.IsInf(ratio[1], 0)) {
		return fmt.Errorf("%s ratio range %v: want 0 < lo ≤ hi", what, ratio)
	}
	return nil
}

// drawSides draws a rectangle as torchvision's RandomResizedCrop and
// RandomErasing do: the area, a fraction of area drawn uniformly from scale,
// then the aspect ratio, drawn log-uniformly from ratio. It returns the sides
// √(area·ratio) and √(area/ratio), rounded half to even as Python's round.
func drawSides(ctx *Context, area float64, scale, ratio [2]float64) (alongRatio, acrossRatio int) {
	target := area * ctx.uniform(scale[0], scale[1])
	aspect := math.Exp(ctx.uniform(math.Log(ratio[0]), math.Log(ratio[1])))
	return int(math.RoundToEven(math.Sqrt(target * aspect))), int(math.RoundToEven(math.Sqrt(target / aspect)))
}

// centralBox is RandomResizedCrop's fallback: the whole image, cut down to the
// nearest aspect ratio inside the range, centred (offsets rounded down).
func centralBox(h, w int, ratio [2]float64) box {
	bh, bw := h, w
	switch inRatio := float64(w) / float64(h); {
	case inRatio < ratio[0]:
		bh = int(math.RoundToEven(float64(w) / ratio[0]))
	case inRatio > ratio[1]:
		bw = int(math.RoundToEven(float64(h) * ratio[1]))
	}
	return box{Top: (h - bh) / 2, Left: (w - bw) / 2, H: bh, W: bw}
}
