package data

import (
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
