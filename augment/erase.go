package augment

import (
	"fmt"

	"github.com/descent-ml/descent/data"
)

// Erase sets the Height×Width rectangle at (Top, Left), clipped to the image, to
// Fill in every channel.
type Erase struct {
	Top, Left, Height, Width int
	Fill                     uint8
}

// OutputShape checks the size and keeps the shape.
func (e Erase) OutputShape(c, h, w int) (int, int, int, error) {
	if e.Height < 0 || e.Width < 0 {
		return 0, 0, 0, fmt.Errorf("erase %d×%d: sizes must be non-negative", e.Height, e.Width)
	}
	return c, h, w, nil
}

// Apply copies src into dst and fills the rectangle.
func (e Erase) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	copy(out.Pix, src.Pix)
	y0, y1 := max(0, e.Top), min(src.H, e.Top+e.Height)
	x0, x1 := max(0, e.Left), min(src.W, e.Left+e.Width)
	if y0 >= y1 || x0 >= x1 {
		return out
	}
	for c := range src.C {
		for y := y0; y < y1; y++ {
			fillBytes(out.Pix[(c*src.H+y)*src.W+x0:(c*src.H+y)*src.W+x1], e.Fill)
		}
	}
	return out
}

// Cutout (DeVries & Taylor, 2017) erases a Size×Size square whose centre is drawn
// uniformly over the image; the parts of the square outside the image are dropped.
type Cutout struct {
	Size int
	Fill uint8
}

// OutputShape checks the size and keeps the shape.
func (cu Cutout) OutputShape(c, h, w int) (int, int, int, error) {
	if cu.Size < 1 {
		return 0, 0, 0, fmt.Errorf("cutout size %d must be positive", cu.Size)
	}
	return c, h, w, nil
}

// Apply draws the centre row, then column, and erases.
func (cu Cutout) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	cy, cx := ctx.Rand.IntN(src.H), ctx.Rand.IntN(src.W)
	return Erase{Top: cy - cu.Size/2, Left: cx - cu.Size/2, Height: cu.Size, Width: cu.Size, Fill: cu.Fill}.Apply(dst, src, ctx)
}

// RandomErasing is torchvision's RandomErasing (Zhong et al., 2017) without its own
// probability (wrap it in RandomApply): up to ten times it draws an area fraction
// uniformly from Scale and an aspect ratio log-uniformly from Ratio, and erases the
// first rectangle of that area and ratio that fits, at a uniform position. Zero
// ranges mean torchvision's defaults, Scale (0.02, 0.33) and Ratio (0.3, 3.3).
type RandomErasing struct {
	Scale, Ratio [2]float64
	Fill         uint8
}

func (r RandomErasing) ranges() (scale, ratio [2]float64) {
	scale, ratio = r.Scale, r.Ratio
	if scale == [2]float64{} {
		scale = [2]float64{0.02, 0.33}
	}
	if ratio == [2]float64{} {
		ratio = [2]float64{0.3, 3.3}
	}
	return scale, ratio
}

// OutputShape checks the ranges and keeps the shape.
func (r RandomErasing) OutputShape(c, h, w int) (int, int, int, error) {
	scale, ratio := r.ranges()
	if err := checkAreaRanges("erasing", scale, ratio); err != nil {
		return 0, 0, 0, err
	}
	return c, h, w, nil
}

// Apply draws rectangles until one fits, and erases it; after ten misses it leaves
// the image unchanged.
func (r RandomErasing) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	scale, ratio := r.ranges()
	for range 10 {
		h, w := drawSides(ctx, float64(src.H*src.W), scale, ratio)
		if h < 1 || w < 1 || h >= src.H || w >= src.W {
			continue
		}
		top, left := ctx.intIn(0, src.H-h), ctx.intIn(0, src.W-w)
		return Erase{Top: top, Left: left, Height: h, Width: w, Fill: r.Fill}.Apply(dst, src, ctx)
	}
	return src
}
