package augment

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/data"
)

// randomImage has pseudo-random values.
func randomImage(c, h, w int, seed uint64) data.Image {
	m := data.NewImage(c, h, w)
	r := rand.New(rand.NewPCG(seed, 99))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.IntN(256))
	}
	return m
}

// at reads m at (c, y, x), or fill outside.
func at(m data.Image, c, y, x int, fill uint8) uint8 {
	if y < 0 || y >= m.H || x < 0 || x >= m.W {
		return fill
	}
	return m.Pix[(c*m.H+y)*m.W+x]
}

// naive builds a c×h×w image value by value.
func naive(c, h, w int, f func(c, y, x int) uint8) data.Image {
	m := data.NewImage(c, h, w)
	for ch := range c {
		for y := range h {
			for x := range w {
				m.Pix[(ch*h+y)*w+x] = f(ch, y, x)
			}
		}
	}
	return m
}

// apply checks OutputShape, runs t on a copy of src and checks src was left alone.
func apply(t *testing.T, tr Transform, src data.Image, ctx *Context) data.Image {
	t.Helper()
	c, h, w, err := tr.OutputShape(src.C, src.H, src.W)
	if err != nil {
		t.Fatalf("%T: %v", tr, err)
	}
	before := bytes.Clone(src.Pix)
	if ctx == nil {
		ctx = NewContext(1)
	}
	var dst data.Image
	got := tr.Apply(&dst, src, ctx)
	if !bytes.Equal(src.Pix, before) {
		t.Fatalf("%T modified its input", tr)
	}
	if got.C != c || got.H != h || got.W != w || len(got.Pix) != c*h*w {
		t.Fatalf("%T: output %d×%d×%d (%d values), OutputShape said %d×%d×%d", tr, got.C, got.H, got.W, len(got.Pix), c, h, w)
	}
	return got
}

func sameImage(t *testing.T, what string, got, want data.Image) {
	t.Helper()
	if got.C != want.C || got.H != want.H || got.W != want.W || !bytes.Equal(got.Pix, want.Pix) {
		t.Fatalf("%s: got %d×%d×%d %v, want %d×%d×%d %v", what, got.C, got.H, got.W, got.Pix, want.C, want.H, want.W, want.Pix)
	}
}

func TestFlips(t *testing.T) {
	src := randomImage(3, 5, 7, 1)
	h := apply(t, FlipHorizontal{}, src, nil)
	sameImage(t, "horizontal", h, naive(3, 5, 7, func(c, y, x int) uint8 { return at(src, c, y, 6-x, 0) }))
	v := apply(t, FlipVertical{}, src, nil)
	sameImage(t, "vertical", v, naive(3, 5, 7, func(c, y, x int) uint8 { return at(src, c, 4-y, x, 0) }))
	sameImage(t, "horizontal twice", apply(t, FlipHorizontal{}, h, nil), src)
	sameImage(t, "vertical twice", apply(t, FlipVertical{}, v, nil), src)
}

func TestWindows(t *testing.T) {
	src := randomImage(2, 6, 5, 2)
	r := rand.New(rand.NewPCG(3, 3))
	for range 300 {
		dx, dy := r.IntN(15)-7, r.IntN(15)-7
		fill := uint8(r.IntN(256))
		got := apply(t, Translate{DX: dx, DY: dy, Fill: fill}, src, nil)
		sameImage(t, "translate", got, naive(2, 6, 5, func(c, y, x int) uint8 { return at(src, c, y-dy, x-dx, fill) }))

		pad := r.IntN(4)
		ch, cw := 1+r.IntN(6+2*pad), 1+r.IntN(5+2*pad)
		top, left := r.IntN(6+2*pad-ch+1), r.IntN(5+2*pad-cw+1)
		got = apply(t, PadCrop{Padding: pad, Top: top, Left: left, Height: ch, Width: cw, Fill: fill}, src, nil)
		sameImage(t, "pad-crop", got, naive(2, ch, cw, func(c, y, x int) uint8 { return at(src, c, top+y-pad, left+x-pad, fill) }))
	}
	if _, _, _, err := (PadCrop{Padding: 1, Top: 2, Left: 0, Height: 7, Width: 5}).OutputShape(2, 6, 5); err == nil {
		t.Error("window leaving the padded image accepted")
	}
}

func TestCenterCrop(t *testing.T) {
	src := randomImage(1, 7, 6, 4)
	// torchvision: top = round((H−h)/2) ties to even; a larger crop pads (h−H)//2 on top.
	cases := []struct{ h, w, top, left int }{
		{4, 4, 2, 1}, // (7−4)/2 = 1.5 → 2, (6−4)/2 = 1
		{6, 5, 0, 0}, // 0.5 → 0, 0.5 → 0
		{2, 3, 2, 2}, // 2.5 → 2, 1.5 → 2
		{9, 9, -1, -1},
		{10, 6, -1, 0},
	}
	for _, c := range cases {
		got := apply(t, CenterCrop{Height: c.h, Width: c.w}, src, nil)
		sameImage(t, "centre crop", got, naive(1, c.h, c.w, func(ch, y, x int) uint8 { return at(src, ch, c.top+y, c.left+x, 0) }))
	}
}

func TestRandomCropInBoundsAndUniform(t *testing.T) {
	// The source holds each position's coordinates, so the crop tells where it was.
	src := naive(2, 6, 6, func(c, y, x int) uint8 { return uint8(1 + []int{y, x}[c]) })
	tr := RandomCrop{Height: 4, Width: 4, Padding: 2}
	counts := map[[2]int]int{}
	ctx := NewContext(5)
	const trials = 8085
	for i := range trials {
		ctx.Seed(5, 0, i)
		got := apply(t, tr, src, ctx)
		// Top-left of the window in the padded image.
		top, left := -1, -1
		for y := range 4 {
			for x := range 4 {
				if v := got.Pix[y*4+x]; v != 0 && top < 0 {
					top, left = int(v)-1+2-y, int(got.Pix[16+y*4+x])-1+2-x
				}
			}
		}
		if top < 0 || top > 6 || left < 0 || left > 6 {
			t.Fatalf("crop at (%d, %d) outside the padded image", top, left)
		}
		want := PadCrop{Padding: 2, Top: top, Left: left, Height: 4, Width: 4}
		sameImage(t, "random crop", got, apply(t, want, src, nil))
		counts[[2]int{top, left}]++
	}
	if len(counts) != 49 {
		t.Fatalf("%d of 49 positions drawn", len(counts))
	}
	for pos, k := range counts { // 165 expected each; sd ≈ 12.7
		if k < 165-65 || k > 165+65 {
			t.Errorf("position %v drawn %d times of %d", pos, k, trials)
		}
	}
}

func TestRotateProperties(t *testing.T) {
	square := randomImage(3, 6, 6, 6)
	for _, interp := range []Interpolation{Nearest, Bilinear} {
		for _, deg := range []float64{0, 360, -720} {
			sameImage(t, "rotate by a whole turn", apply(t, Rotate{Degrees: deg, Interpolation: interp}, square, nil), square)
		}
		img := square
		for range 4 {
			img = apply(t, Rotate{Degrees: 90, Interpolation: interp}, img, nil)
		}
		sameImage(t, "four quarter turns", img, square)
		r180 := apply(t, Rotate{Degrees: 180, Interpolation: interp}, square, nil)
		sameImage(t, "half turn", r180, apply(t, FlipVertical{}, apply(t, FlipHorizontal{}, square, nil), nil))
		// A quarter turn counter-clockwise on screen sends the top-right corner to the top-left.
		q := apply(t, Rotate{Degrees: 90, Interpolation: interp}, square, nil)
		if q.Pix[0] != square.Pix[5] {
			t.Errorf("%v: quarter turn moved %d, not the top-right %d, to the top-left", interp, q.Pix[0], square.Pix[5])
		}
	}
}

func TestRotateBilinearMatchesReference(t *testing.T) {
	src := randomImage(2, 7, 9, 7)
	for _, deg := range []float64{17, -33.5, 125} {
		const fill = 40
		got := apply(t, Rotate{Degrees: deg, Interpolation: Bilinear, Fill: fill}, src, nil)
		rad := deg * math.Pi / 180
		cx, cy := 4.0, 3.0
		// In float64: the inverse rotation of the output point in screen coordinates,
		// bilinear weights with taps outside counted as zero, and torchvision's blend
		// v·m + (1−m)·fill with the weight m inside the input.
		want := naive(2, 7, 9, func(c, y, x int) uint8 {
			sx := cx + (float64(x)-cx)*math.Cos(rad) - (float64(y)-cy)*math.Sin(rad)
			sy := cy + (float64(x)-cx)*math.Sin(rad) + (float64(y)-cy)*math.Cos(rad)
			var v, m float64
			for _, yy := range []int{int(math.Floor(sy)), int(math.Floor(sy)) + 1} {
				for _, xx := range []int{int(math.Floor(sx)), int(math.Floor(sx)) + 1} {
					if xx < 0 || xx >= 9 || yy < 0 || yy >= 7 {
						continue
					}
					wt := (1 - math.Abs(sx-float64(xx))) * (1 - math.Abs(sy-float64(yy)))
					v += wt * float64(at(src, c, yy, xx, 0))
					m += wt
				}
			}
			return uint8(math.RoundToEven(v*m + (1-m)*fill))
		})
		for i := range got.Pix {
			if d := int(got.Pix[i]) - int(want.Pix[i]); d < -1 || d > 1 {
				t.Fatalf("%v degrees: value %d = %d, want %d", deg, i, got.Pix[i], want.Pix[i])
			}
		}
	}
}

func TestRandomApplyProbability(t *testing.T) {
	src := randomImage(1, 3, 4, 8)
	flipped := apply(t, FlipHorizontal{}, src, nil)
	for _, p := range []float64{0, 0.1, 0.5, 0.9, 1} {
		ctx := NewContext(9)
		const trials = 4000
		hits := 0
		for i := range trials {
			ctx.Seed(9, 3, i)
			got := apply(t, RandomApply{P: p, T: FlipHorizontal{}}, src, ctx)
			switch {
			case bytes.Equal(got.Pix, flipped.Pix):
				hits++
			case !bytes.Equal(got.Pix, src.Pix):
				t.Fatal("neither flipped nor unchanged")
			}
		}
		frac := float64(hits) / trials
		if sd := math.Sqrt(p * (1 - p) / trials); math.Abs(frac-p) > 5*sd+1e-9 {
			t.Errorf("p = %v: applied %.4f of the time", p, frac)
		}
	}
	if _, _, _, err := (RandomApply{P: 0.5, T: Resize{Height: 2, Width: 2}}).OutputShape(1, 3, 4); err == nil {
		t.Error("random application of a shape-changing transform accepted")
	}
	if _, _, _, err := (RandomApply{P: 1.5, T: FlipVertical{}}).OutputShape(1, 3, 4); err == nil {
		t.Error("probability 1.5 accepted")
	}
}

func TestRandomParameterRanges(t *testing.T) {
	// A one-pixel image marks where translation moves it.
	src := data.NewImage(1, 21, 21)
	src.Pix[10*21+10] = 255
	ctx := NewContext(11)
	seen := map[[2]int]bool{}
	for i := range 3000 {
		ctx.Seed(11, 0, i)
		got := apply(t, RandomTranslate{MaxX: 0.1, MaxY: 0.2}, src, ctx)
		k := bytes.IndexByte(got.Pix, 255)
		dx, dy := k%21-10, k/21-10
		if dx < -2 || dx > 2 || dy < -4 || dy > 4 { // 0.1·21 = 2.1, 0.2·21 = 4.2
			t.Fatalf("translation (%d, %d) outside ±(2.1, 4.2)", dx, dy)
		}
		seen[[2]int{dx, dy}] = true
	}
	if len(seen) != 5*9 {
		t.Errorf("%d of 45 translations drawn", len(seen))
	}
	// Rotation angles stay in range: a point at distance 10 from the centre moves
	// along its circle by at most the largest angle.
	for i := range 500 {
		ctx.Seed(12, 0, i)
		src := data.NewImage(1, 21, 21)
		src.Pix[10*21+20] = 255 // right of the centre
		got := apply(t, RandomRotate{MaxDegrees: 30}, src, ctx)
		k := bytes.IndexByte(got.Pix, 255)
		if k < 0 {
			continue // the point fell between output pixels
		}
		angle := math.Atan2(-float64(k/21-10), float64(k%21-10)) * 180 / math.Pi
		if math.Abs(angle) > 30+6 {
			t.Fatalf("point turned by %.1f degrees with ±30", angle)
		}
	}
}

func TestResize(t *testing.T) {
	src := randomImage(3, 5, 8, 13)
	sameImage(t, "same size", apply(t, Resize{Height: 5, Width: 8}, src, nil), src)
	flat := naive(1, 9, 7, func(int, int, int) uint8 { return 77 })
	for _, size := range [][2]int{{3, 2}, {20, 11}, {1, 1}, {9, 30}} {
		sameImage(t, "constant", apply(t, Resize{Height: size[0], Width: size[1]}, flat, nil), naive(1, size[0], size[1], func(int, int, int) uint8 { return 77 }))
	}
	// Any size against the direct 2-D definition: a triangle of half-width
	// max(1, scale) around each output centre, weights normalised.
	for _, size := range [][2]int{{10, 16}, {13, 3}, {2, 5}, {5, 8}, {7, 20}} {
		oh, ow := size[0], size[1]
		weights := func(in, out, i int) []float64 {
			scale := float64(in) / float64(out)
			support := max(scale, 1)
			centre := (float64(i) + 0.5) * scale
			w := make([]float64, in)
			var sum float64
			for j := range w {
				w[j] = max(0, 1-math.Abs(float64(j)+0.5-centre)/support)
				sum += w[j]
			}
			for j := range w {
				w[j] /= sum
			}
			return w
		}
		want := naive(3, oh, ow, func(c, y, x int) uint8 {
			wy, wx := weights(src.H, oh, y), weights(src.W, ow, x)
			var v float64
			for j := range src.H {
				for i := range src.W {
					v += wy[j] * wx[i] * float64(at(src, c, j, i, 0))
				}
			}
			return uint8(math.Round(v))
		})
		got := apply(t, Resize{Height: oh, Width: ow}, src, nil)
		for i := range got.Pix {
			if d := int(got.Pix[i]) - int(want.Pix[i]); d < -1 || d > 1 {
				t.Fatalf("%d×%d: value %d = %d, want %d", oh, ow, i, got.Pix[i], want.Pix[i])
			}
		}
	}
	for _, c := range []struct{ h, w, size, oh, ow int }{{5, 8, 4, 4, 6}, {8, 5, 4, 6, 4}, {6, 6, 3, 3, 3}} {
		got := apply(t, ResizeShorter{Size: c.size}, randomImage(1, c.h, c.w, 1), nil)
		if got.H != c.oh || got.W != c.ow {
			t.Errorf("shorter side of %d×%d to %d: %d×%d, want %d×%d", c.h, c.w, c.size, got.H, got.W, c.oh, c.ow)
		}
	}
}

func TestErasing(t *testing.T) {
	src := randomImage(3, 8, 10, 14)
	got := apply(t, Erase{Top: 6, Left: -2, Height: 5, Width: 4, Fill: 9}, src, nil)
	sameImage(t, "erase", got, naive(3, 8, 10, func(c, y, x int) uint8 {
		if y >= 6 && x < 2 {
			return 9
		}
		return at(src, c, y, x, 0)
	}))
	// Random erasing fills one rectangle of the right area, or nothing.
	ctx := NewContext(15)
	big := naive(1, 40, 40, func(int, int, int) uint8 { return 200 })
	erased := 0
	for i := range 500 {
		ctx.Seed(15, 0, i)
		got := apply(t, RandomErasing{Scale: [2]float64{0.1, 0.2}, Ratio: [2]float64{0.5, 2}}, big, ctx)
		n := bytes.Count(got.Pix, []byte{0})
		if n == 0 {
			continue
		}
		erased++
		if frac := float64(n) / 1600; frac < 0.07 || frac > 0.24 {
			t.Fatalf("erased %.3f of the image, want about [0.1, 0.2]", frac)
		}
	}
	if erased < 450 {
		t.Errorf("only %d of 500 images erased", erased)
	}
	for i := range 200 {
		ctx.Seed(16, 0, i)
		got := apply(t, Cutout{Size: 6}, big, ctx)
		if n := bytes.Count(got.Pix, []byte{0}); n < 9 || n > 36 {
			t.Fatalf("cutout erased %d pixels, want 9 to 36", n)
		}
	}
}

func TestColour(t *testing.T) {
	src := randomImage(3, 4, 5, 17)
	// torchvision's uint8 semantics in float64: blend, clamp, truncate; the grey
	// level 0.2989R + 0.587G + 0.114B truncated. float32 rounding may move a value
	// across an integer, so references match within 1.
	blend := func(f, p, other float64) uint8 { return uint8(min(255, max(0, f*p+(1-f)*other))) }
	near := func(what string, got, want data.Image) {
		t.Helper()
		for i := range got.Pix {
			if d := int(got.Pix[i]) - int(want.Pix[i]); d < -1 || d > 1 {
				t.Fatalf("%s: value %d = %d, want %d", what, i, got.Pix[i], want.Pix[i])
			}
		}
	}
	var grey float64
	for y := range 4 {
		for x := range 5 {
			grey += float64(uint8(0.2989*float64(at(src, 0, y, x, 0)) + 0.587*float64(at(src, 1, y, x, 0)) + 0.114*float64(at(src, 2, y, x, 0))))
		}
	}
	grey /= 20
	for _, f := range []float64{0, 0.5, 1, 1.7} {
		got := apply(t, Brightness{Factor: f}, src, nil)
		near("brightness", got, naive(3, 4, 5, func(c, y, x int) uint8 { return blend(f, float64(at(src, c, y, x, 0)), 0) }))
		got = apply(t, Contrast{Factor: f}, src, nil)
		near("contrast", got, naive(3, 4, 5, func(c, y, x int) uint8 { return blend(f, float64(at(src, c, y, x, 0)), grey) }))
	}
	sameImage(t, "brightness 1", apply(t, Brightness{Factor: 1}, src, nil), src)
	sameImage(t, "contrast 1", apply(t, Contrast{Factor: 1}, src, nil), src)
	sameImage(t, "jitter of width 0", apply(t, ColorJitter{}, src, nil), src)
	ctx := NewContext(18)
	brighter, darker := 0, 0
	for i := range 200 {
		ctx.Seed(18, 0, i)
		got := apply(t, ColorJitter{Brightness: 0.4}, src, ctx)
		switch s, g := sum(src.Pix), sum(got.Pix); {
		case g > s:
			brighter++
		case g < s:
			darker++
		}
	}
	if brighter < 70 || darker < 70 {
		t.Errorf("brightness jitter: %d brighter, %d darker of 200", brighter, darker)
	}
}

func sum(b []uint8) int {
	s := 0
	for _, v := range b {
		s += int(v)
	}
	return s
}

func TestPipeline(t *testing.T) {
	src := randomImage(3, 8, 8, 19)
	steps := []Transform{FlipHorizontal{}, Translate{DX: 1, DY: 2, Fill: 5}, RandomApply{P: 0, T: FlipVertical{}}, Rotate{Degrees: 90}, CenterCrop{Height: 5, Width: 6}}
	want := src
	for _, s := range steps {
		want = apply(t, s, want, nil)
	}
	sameImage(t, "pipeline", apply(t, Compose(steps...), src, nil), want)
	nested := Compose(Compose(steps[:2]...), Compose(), Compose(steps[2:]...))
	sameImage(t, "nested pipeline", apply(t, nested, src, nil), want)
	sameImage(t, "nothing applied", apply(t, Compose(RandomApply{P: 0, T: FlipVertical{}}), src, nil), src)
	if _, _, _, err := Compose(CenterCrop{Height: 4, Width: 4}, RandomCrop{Height: 6, Width: 6}).OutputShape(3, 8, 8); err == nil {
		t.Error("crop larger than its input accepted")
	}
	// A Context reused across samples gives each sample the same result as a fresh one.
	random := Compose(RandomCrop{Height: 6, Width: 6, Padding: 1}, RandomApply{P: 0.5, T: FlipHorizontal{}}, RandomRotate{MaxDegrees: 20, Interpolation: Bilinear}, Resize{Height: 9, Width: 9})
	shared := NewContext(0)
	for i := range 20 {
		fresh := NewContext(0)
		fresh.Seed(21, 2, i)
		shared.Seed(21, 2, i)
		a := apply(t, random, src, fresh)
		b := apply(t, random, src, shared)
		sameImage(t, "reused context", b, a)
	}
}

func TestSeedStreams(t *testing.T) {
	draws := func(seed uint64, epoch, index int) [4]uint64 {
		c := NewContext(0)
		c.Seed(seed, epoch, index)
		return [4]uint64{c.Rand.Uint64(), c.Rand.Uint64(), c.Rand.Uint64(), c.Rand.Uint64()}
	}
	if first, again := draws(1, 2, 3), draws(1, 2, 3); first != again {
		t.Fatal("same seed, epoch and index gave different draws")
	}
	seen := map[[4]uint64]bool{}
	for seed := range uint64(3) {
		for epoch := range 3 {
			for index := range 3 {
				seen[draws(seed, epoch, index)] = true
			}
		}
	}
	if len(seen) != 27 {
		t.Errorf("27 (seed, epoch, index) triples gave %d streams", len(seen))
	}
}
