package augment

import (
	"errors"
	"fmt"

	"github.com/descent-ml/descent/data"
)

// Transform changes one uint8 CHW image.
type Transform interface {
	// OutputShape checks the transform's parameters for c×h×w input images and
	// returns the shape of its output.
	OutputShape(c, h, w int) (oc, oh, ow int, err error)
	// Apply transforms src, which it never modifies. It returns either src itself
	// (the transform leaves this sample unchanged) or an image whose pixels it wrote
	// into dst, whose memory it reuses (growing dst.Pix only when too small). src must
	// have passed OutputShape, and src and dst must not share memory.
	Apply(dst *data.Image, src data.Image, ctx *Context) data.Image
}

// shape sets dst to c×h×w, reusing its memory when large enough, and returns it.
func shape(dst *data.Image, c, h, w int) data.Image {
	n := c * h * w
	if cap(dst.Pix) < n {
		dst.Pix = make([]uint8, n)
	}
	dst.C, dst.H, dst.W, dst.Pix = c, h, w, dst.Pix[:n]
	return *dst
}

// samePixels reports whether a and b start at the same memory.
func samePixels(a, b data.Image) bool {
	return cap(a.Pix) > 0 && cap(b.Pix) > 0 && &a.Pix[:1][0] == &b.Pix[:1][0]
}

// Pipeline applies its transforms in order.
type Pipeline []Transform

// Compose returns the pipeline of ts.
func Compose(ts ...Transform) Pipeline { return Pipeline(ts) }

// OutputShape checks every step and returns the final shape.
func (p Pipeline) OutputShape(c, h, w int) (int, int, int, error) {
	for i, t := range p {
		var err error
		if c, h, w, err = t.OutputShape(c, h, w); err != nil {
			return 0, 0, 0, fmt.Errorf("step %d (%T): %w", i+1, t, err)
		}
	}
	return c, h, w, nil
}

// Apply runs the steps in order.
func (p Pipeline) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	return chain(dst, src, ctx, len(p), func(i int, out *data.Image, cur data.Image) data.Image {
		return p[i].Apply(out, cur, ctx)
	})
}

// chain applies n steps in a row, step(i, out, cur) transforming the previous
// result cur into out, alternating between dst and one intermediate image of ctx,
// and returns the last result (src itself when no step changed it).
func chain(dst *data.Image, src data.Image, ctx *Context, n int, step func(i int, out *data.Image, cur data.Image) data.Image) data.Image {
	tmp := ctx.pushTemp()
	defer ctx.popTemp()
	cur := src
	for i := range n {
		out := dst
		if samePixels(cur, *dst) {
			out = tmp
		}
		cur = step(i, out, cur)
	}
	if samePixels(cur, *tmp) {
		copy(shape(dst, cur.C, cur.H, cur.W).Pix, cur.Pix)
		return *dst
	}
	return cur
}

// RandomApply applies T with probability P, else leaves the image unchanged; T must
// keep the image's shape.
type RandomApply struct {
	P float64
	T Transform
}

// OutputShape checks P and that T keeps the shape.
func (r RandomApply) OutputShape(c, h, w int) (int, int, int, error) {
	if !(r.P >= 0 && r.P <= 1) {
		return 0, 0, 0, fmt.Errorf("probability %v is not in [0, 1]", r.P)
	}
	if r.T == nil {
		return 0, 0, 0, errors.New("RandomApply without a transform")
	}
	oc, oh, ow, err := r.T.OutputShape(c, h, w)
	if err != nil {
		return 0, 0, 0, err
	}
	if oc != c || oh != h || ow != w {
		return 0, 0, 0, fmt.Errorf("%T changes the shape %d×%d×%d to %d×%d×%d; a transform applied at random must keep it", r.T, c, h, w, oc, oh, ow)
	}
	return c, h, w, nil
}

// Apply draws one number to decide, then runs T or returns src.
func (r RandomApply) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	if ctx.Rand.Float64() < r.P {
		return r.T.Apply(dst, src, ctx)
	}
	return src
}
