package augment

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
)

// PadCrop pads every side by Padding pixels of value Fill and takes the
// Height×Width window whose top-left corner is (Top, Left) in the padded image.
type PadCrop struct {
	Padding, Top, Left, Height, Width int
	Fill                              uint8
}

// OutputShape checks that the window lies inside the padded image.
func (p PadCrop) OutputShape(c, h, w int) (int, int, int, error) {
	if err := checkCrop(p.Height, p.Width, p.Padding, h, w); err != nil {
		return 0, 0, 0, err
	}
	if p.Top < 0 || p.Left < 0 || p.Top+p.Height > h+2*p.Padding || p.Left+p.Width > w+2*p.Padding {
		return 0, 0, 0, fmt.Errorf("window %d×%d at (%d, %d) leaves the %d×%d padded image", p.Height, p.Width, p.Top, p.Left, h+2*p.Padding, w+2*p.Padding)
	}
	return c, p.Height, p.Width, nil
}

// Apply writes the window into dst.
func (p PadCrop) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	return window(dst, src, p.Top-p.Padding, p.Left-p.Padding, p.Height, p.Width, p.Fill)
}

// RandomCrop is torchvision's RandomCrop(size, padding, fill): pad by Padding, then
// take a Height×Width window at a uniformly drawn position.
type RandomCrop struct {
	Height, Width, Padding int
	Fill                   uint8
}

// OutputShape checks that the window fits in the padded image.
func (r RandomCrop) OutputShape(c, h, w int) (int, int, int, error) {
	if err := checkCrop(r.Height, r.Width, r.Padding, h, w); err != nil {
		return 0, 0, 0, err
	}
	return c, r.Height, r.Width, nil
}

// Apply draws the window's top row, then its left column.
func (r RandomCrop) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	top := ctx.intIn(0, src.H+2*r.Padding-r.Height)
	left := ctx.intIn(0, src.W+2*r.Padding-r.Width)
	return PadCrop{Padding: r.Padding, Top: top, Left: left, Height: r.Height, Width: r.Width, Fill: r.Fill}.Apply(dst, src, ctx)
}

func checkCrop(ch, cw, padding, h, w int) error {
	if ch < 1 || cw < 1 || padding < 0 {
		return fmt.Errorf("crop %d×%d with padding %d: sizes must be positive, padding non-negative", ch, cw, padding)
	}
	if ch > h+2*padding || cw > w+2*padding {
		return fmt.Errorf("crop %d×%d is larger than the %d×%d padded image", ch, cw, h+2*padding, w+2*padding)
	}
	return nil
}

// CenterCrop takes the central Height×Width window, as torchvision's CenterCrop
// does: the top row is round((H−Height)/2) with ties to even, and a window larger
// than the image is padded with zeros, (Height−H)/2 rows (rounded down) on top.
type CenterCrop struct{ Height, Width int }

// OutputShape checks the size.
func (cc CenterCrop) OutputShape(c, h, w int) (int, int, int, error) {
	if cc.Height < 1 || cc.Width < 1 {
		return 0, 0, 0, fmt.Errorf("centre crop %d×%d: sizes must be positive", cc.Height, cc.Width)
	}
	return c, cc.Height, cc.Width, nil
}

// Apply writes the window into dst.
func (cc CenterCrop) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	return window(dst, src, centerOffset(src.H, cc.Height), centerOffset(src.W, cc.Width), cc.Height, cc.Width, 0)
}

func centerOffset(size, crop int) int {
	if crop > size {
		return -((crop - size) / 2)
	}
	return int(math.RoundToEven(float64(size-crop) / 2))
}
