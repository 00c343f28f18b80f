package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// Translate moves pixel (x, y) to (x+DX, y+DY); uncovered pixels take Fill.
type Translate struct {
	DX, DY int
	Fill   uint8
}

// OutputShape keeps the shape.
func (Translate) OutputShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply writes the shifted image into dst.
func (t Translate) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	return window(dst, src, -t.DY, -t.DX, src.H, src.W, t.Fill)
}

// RandomTranslate is the translation of torchvision's RandomAffine(translate=(MaxX,
// MaxY)): dx is round(u) for u uniform in [−MaxX·W, MaxX·W] (ties to even), dy
// likewise with MaxY·H.
type RandomTranslate struct {
	MaxX, MaxY float64 // fractions of the width and height
	Fill       uint8
}

// OutputShape checks the fractions.
func (r RandomTranslate) OutputShape(c, h, w int) (int, int, int, error) {
	if !(r.MaxX >= 0 && r.MaxX <= 1 && r.MaxY >= 0 && r.MaxY <= 1) {
		return 0, 0, 0, fmt.Errorf("translation fractions %v, %v are not in [0, 1]", r.MaxX, r.MaxY)
	}
	return c, h, w, nil
}

// Apply draws dx, then dy.
func (r RandomTranslate) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	mx, my := r.MaxX*float64(src.W), r.MaxY*float64(src.H)
	dx := int(math.RoundToEven(ctx.uniform(-mx, mx)))
	dy := int(math.RoundToEven(ctx.uniform(-my, my)))
	return Translate{DX: dx, DY: dy, Fill: r.Fill}.Apply(dst, src, ctx)
}
