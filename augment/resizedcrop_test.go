package augment

import (
	"math"
	"testing"
)

func TestResizedCropIsCropThenResize(t *testing.T) {
	src := randomImage(3, 23, 31, 5)
	for _, c := range []ResizedCrop{
		{Top: 2, Left: 5, Height: 17, Width: 9, OutHeight: 8, OutWidth: 8},    // shrink
		{Top: 0, Left: 0, Height: 5, Width: 7, OutHeight: 16, OutWidth: 12},   // enlarge
		{Top: 0, Left: 0, Height: 23, Width: 31, OutHeight: 23, OutWidth: 31}, // whole image, same size
		{Top: 22, Left: 30, Height: 1, Width: 1, OutHeight: 3, OutWidth: 2},   // one pixel
	} {
		crop := apply(t, PadCrop{Top: c.Top, Left: c.Left, Height: c.Height, Width: c.Width}, src, nil)
		want := apply(t, Resize{Height: c.OutHeight, Width: c.OutWidth}, crop, nil)
		sameImage(t, "resized crop", apply(t, c, src, nil), want)
	}
	sameImage(t, "whole image", apply(t, ResizedCrop{Height: 23, Width: 31, OutHeight: 23, OutWidth: 31}, src, nil), src)
	for _, bad := range []ResizedCrop{
		{Top: 20, Height: 4, Width: 4, OutHeight: 2, OutWidth: 2},
		{Left: -1, Height: 4, Width: 4, OutHeight: 2, OutWidth: 2},
		{Height: 0, Width: 4, OutHeight: 2, OutWidth: 2},
		{Height: 4, Width: 4, OutHeight: 0, OutWidth: 2},
	} {
		if _, _, _, err := bad.OutputShape(3, 23, 31); err == nil {
			t.Errorf("%+v accepted for a 23×31 image", bad)
		}
	}
}

func TestRandomResizedCropBoxes(t *testing.T) {
	const h, w = 60, 80
	r := RandomResizedCrop{Height: 16, Width: 16}
	scale, ratio := r.ranges()
	ctx := NewContext(3)
	var minFrac, maxFrac = 1.0, 0.0
	var minRatio, maxRatio = math.Inf(1), 0.0
	maxTop, maxLeft := 0, 0
	zeroTop, zeroLeft := false, false
	for i := range 4000 {
		ctx.Seed(3, 0, i)
		b := r.drawBox(h, w, ctx)
		if b.H < 1 || b.W < 1 || b.Top < 0 || b.Left < 0 || b.Top+b.H > h || b.Left+b.W > w {
			t.Fatalf("box %+v leaves the %d×%d image", b, h, w)
		}
		frac, aspect := float64(b.H*b.W)/(h*w), float64(b.W)/float64(b.H)
		minFrac, maxFrac = min(minFrac, frac), max(maxFrac, frac)
		minRatio, maxRatio = min(minRatio, aspect), max(maxRatio, aspect)
		maxTop, maxLeft = max(maxTop, b.Top), max(maxLeft, b.Left)
		zeroTop, zeroLeft = zeroTop || b.Top == 0, zeroLeft || b.Left == 0
		// Rounding each side to a whole pixel moves the area and the ratio a little.
		if frac < scale[0]*0.8 || frac > scale[1] || aspect < ratio[0]*0.8 || aspect > ratio[1]*1.25 {
			t.Fatalf("box %+v: area fraction %.3f, ratio %.3f outside %v, %v", b, frac, aspect, scale, ratio)
		}
	}
	// The draws reach both ends of both ranges, and the image's edges.
	if minFrac > 0.1 || maxFrac < 0.9 || minRatio > 0.8 || maxRatio < 1.25 {
		t.Errorf("area fractions [%.3f, %.3f], ratios [%.3f, %.3f] do not span %v, %v", minFrac, maxFrac, minRatio, maxRatio, scale, ratio)
	}
	if !zeroTop || !zeroLeft || maxTop < h*2/3 || maxLeft < w*2/3 {
		t.Errorf("boxes start at rows up to %d and columns up to %d (0 seen: %v, %v) in a %d×%d image", maxTop, maxLeft, zeroTop, zeroLeft, h, w)
	}

	// Boxes that can never fit: ten misses, then the central box clamped to the
	// ratio range (torchvision's fallback).
	for _, c := range []struct {
		h, w  int
		ratio [2]float64
		want  box
	}{
		{40, 40, [2]float64{2, 3}, box{Top: 10, Left: 0, H: 20, W: 40}},      // too square: full width, h = w/2
		{40, 40, [2]float64{0.25, 0.5}, box{Top: 0, Left: 10, H: 40, W: 20}}, // too square the other way
		{10, 50, [2]float64{3, 4}, box{Top: 0, Left: 5, H: 10, W: 40}},       // wider than 4:1
	} {
		full := RandomResizedCrop{Height: 4, Width: 4, Scale: [2]float64{1, 1}, Ratio: c.ratio}
		if got := full.drawBox(c.h, c.w, ctx); got != c.want {
			t.Errorf("%d×%d with ratio %v: box %+v, want %+v", c.h, c.w, c.ratio, got, c.want)
		}
	}
	// The whole image when its own ratio is inside the range and the area can't fit.
	if got := centralBox(30, 35, [2]float64{0.75, 4.0 / 3}); got != (box{H: 30, W: 35}) {
		t.Errorf("central box of 30×35: %+v", got)
	}

	// The sample's seed alone decides: same seed, same output.
	src := randomImage(3, h, w, 8)
	first := apply(t, r, src, seeded(9, 4))
	sameImage(t, "same seed", apply(t, r, src, seeded(9, 4)), first)
	for _, bad := range []RandomResizedCrop{
		{Height: 0, Width: 4},
		{Height: 4, Width: 4, Scale: [2]float64{0.5, 0.2}},
		{Height: 4, Width: 4, Scale: [2]float64{0, 1}},
		{Height: 4, Width: 4, Ratio: [2]float64{-1, 2}},
	} {
		if _, _, _, err := bad.OutputShape(3, h, w); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

// seeded returns a Context seeded for sample index of run seed, epoch 0.
func seeded(seed uint64, index int) *Context {
	c := NewContext(seed)
	c.Seed(seed, 0, index)
	return c
}

func TestImageNetTransforms(t *testing.T) {
	if got := ImageNetResizeSize(224); got != 256 {
		t.Errorf("evaluation resize for 224: %d, want 256", got)
	}
	src := randomImage(3, 300, 400, 6)
	eval := ImageNetEval(224)
	c, h, w, err := eval.OutputShape(3, 300, 400)
	if err != nil || c != 3 || h != 224 || w != 224 {
		t.Fatalf("evaluation transform of 3×300×400: %d×%d×%d, %v", c, h, w, err)
	}
	resized := apply(t, ResizeShorter{Size: 256}, src, nil)
	if resized.H != 256 || resized.W != 341 {
		t.Fatalf("shorter side to 256: %d×%d, want 256×341", resized.H, resized.W)
	}
	sameImage(t, "evaluation", apply(t, eval, src, nil), apply(t, CenterCrop{Height: 224, Width: 224}, resized, nil))

	train := ImageNetTrain(64)
	if c, h, w, err := train.OutputShape(3, 300, 400); err != nil || c != 3 || h != 64 || w != 64 {
		t.Fatalf("training transform of 3×300×400: %d×%d×%d, %v", c, h, w, err)
	}
	sameImage(t, "same seed", apply(t, train, src, seeded(2, 7)), apply(t, train, src, seeded(2, 7)))
}
