package data

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDecodeMatchesPillow decodes every fixture of testdata/pil (written by
// gen_pil.py) and converts it to RGB and to grey, comparing with what Pillow's
// convert gave. Lossless formats must match exactly; JPEG and lossy WebP may
// differ by the decoders' rounding (libjpeg's and libwebp's IDCT and colour
// conversion are not Go's).
func TestDecodeMatchesPillow(t *testing.T) {
	names, err := filepath.Glob("testdata/pil/*.*")
	if err != nil {
		t.Fatal(err)
	}
	tested := 0
	for _, name := range names {
		if ext := filepath.Ext(name); ext == ".rgb" || ext == ".l" || ext == ".py" {
			continue
		}
		stem := strings.ReplaceAll(filepath.Base(name), ".", "_")
		tol := 0
		switch {
		case strings.HasSuffix(name, ".jpg"):
			tol = 3
		case strings.HasSuffix(name, "_lossy.webp"):
			tol = 6
		}
		for _, want := range []struct {
			channels int
			ext      string
		}{{3, ".rgb"}, {1, ".l"}} {
			ref, err := os.ReadFile(filepath.Join("testdata/pil", stem+want.ext))
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			src, err := DecodeImage(f, DefaultMaxImagePixels)
			f.Close()
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			var dst Image
			m, err := ToImage(src, want.channels, &dst)
			if err != nil {
				t.Fatal(err)
			}
			if m.C != want.channels || m.H*m.W*m.C != len(ref) {
				t.Errorf("%s: %d×%d×%d, Pillow gave %d values", name, m.C, m.H, m.W, len(ref))
				continue
			}
			worst := 0
			for y := range m.H {
				for x := range m.W {
					for c := range m.C {
						d := int(m.Pix[(c*m.H+y)*m.W+x]) - int(ref[(y*m.W+x)*m.C+c])
						worst = max(worst, d, -d)
					}
				}
			}
			if worst > tol {
				t.Errorf("%s as %d channels: differs from Pillow by up to %d (tolerance %d)", name, want.channels, worst, tol)
			}
			tested++
		}
	}
	if tested < 40 {
		t.Fatalf("only %d fixture conversions checked", tested)
	}
}

// The YCbCr fast path gives color.YCbCrToRGB's colours for every chroma
// subsampling, also for an image whose bounds do not start at the origin.
func TestYCbCrFastPathMatchesColorPackage(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420,
		image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410}
	for _, ratio := range ratios {
		full := image.NewYCbCr(image.Rect(0, 0, 13, 9), ratio)
		for i := range full.Y {
			full.Y[i] = uint8(i * 37)
		}
		for i := range full.Cb {
			full.Cb[i], full.Cr[i] = uint8(i*53+7), uint8(255-i*29)
		}
		for _, src := range []*image.YCbCr{full, full.SubImage(image.Rect(3, 1, 12, 8)).(*image.YCbCr)} {
			m, err := ToImage(src, 3, &Image{})
			if err != nil {
				t.Fatal(err)
			}
			b := src.Bounds()
			for y := range m.H {
				for x := range m.W {
					c := src.YCbCrAt(b.Min.X+x, b.Min.Y+y)
					r, g, bl := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
					n := m.H * m.W
					if got := [3]uint8{m.Pix[y*m.W+x], m.Pix[n+y*m.W+x], m.Pix[2*n+y*m.W+x]}; got != [3]uint8{r, g, bl} {
						t.Fatalf("%v %v (%d,%d): %v, want %v", ratio, b, x, y, got, [3]uint8{r, g, bl})
					}
				}
			}
		}
	}
}

// A GIF whose first frame covers part of the screen decodes to the whole
// screen, the rest palette index 0, as Pillow 9.4 gives it (checked with
// Image.open(f).convert("RGB") on the same file).
func TestGIFFrameSmallerThanScreen(t *testing.T) {
	pal := color.Palette{color.RGBA{10, 20, 30, 255}, color.RGBA{200, 100, 50, 255}, color.RGBA{0, 255, 0, 255}}
	frame := image.NewPaletted(image.Rect(2, 1, 6, 4), pal)
	for i := range frame.Pix {
		frame.Pix[i] = 1
	}
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0}, BackgroundIndex: 2,
		Config: image.Config{ColorModel: pal, Width: 8, Height: 6}}); err != nil {
		t.Fatal(err)
	}
	src, err := DecodeImage(bytes.NewReader(b.Bytes()), DefaultMaxImagePixels)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ToImage(src, 3, &Image{})
	if err != nil || m.H != 6 || m.W != 8 {
		t.Fatalf("%d×%d (%v), want the 8×6 screen", m.W, m.H, err)
	}
	for y := range 6 {
		for x := range 8 {
			want := uint8(10)
			if x >= 2 && x < 6 && y >= 1 && y < 4 {
				want = 200
			}
			if got := m.Pix[y*8+x]; got != want {
				t.Fatalf("red at (%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
}
