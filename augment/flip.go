package augment

import (
	"slices"

	"github.com/descent-ml/descent/data"
)

// FlipHorizontal mirrors the image left to right. Wrap it in RandomApply for
// torchvision's RandomHorizontalFlip.
type FlipHorizontal struct{}

// OutputShape keeps the shape.
func (FlipHorizontal) OutputShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply writes the mirrored image into dst.
func (FlipHorizontal) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	for r := 0; r < src.C*src.H; r++ {
		row := out.Pix[r*src.W : (r+1)*src.W]
		copy(row, src.Pix[r*src.W:(r+1)*src.W])
		slices.Reverse(row)
	}
	return out
}

// FlipVertical mirrors the image top to bottom.
type FlipVertical struct{}

// OutputShape keeps the shape.
func (FlipVertical) OutputShape(c, h, w int) (int, int, int, error) { return c, h, w, nil }

// Apply writes the mirrored image into dst.
func (FlipVertical) Apply(dst *data.Image, src data.Image, _ *Context) data.Image {
	out := shape(dst, src.C, src.H, src.W)
	for c := range src.C {
		for y := range src.H {
			from := (c*src.H + y) * src.W
			to := (c*src.H + src.H - 1 - y) * src.W
			copy(out.Pix[to:to+src.W], src.Pix[from:from+src.W])
		}
	}
	return out
}
