package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path/filepath"
	"strings"
	"testing"
)

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// pattern fills an image through Set with values that vary with x, y and seed.
func pattern[M interface{ Set(x, y int, c color.Color) }](m M, w, h, seed int) M {
	for y := range h {
		for x := range w {
			v := func(k int) uint8 { return uint8(x*37 + y*91 + seed*k*13 + k*70) }
			m.Set(x, y, color.NRGBA{v(0), v(1), v(2), v(3) | 0x80})
		}
	}
	return m
}

// wantRGB is the reference conversion, Pillow's: the colour of each pixel
// without its alpha (not premultiplied), 8 bits.
func wantRGB(m image.Image, c, y, x int) uint8 {
	b := m.Bounds()
	n := color.NRGBAModel.Convert(m.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
	return []uint8{n.R, n.G, n.B}[c]
}

func TestLoadImageFolderRGB(t *testing.T) {
	dir := t.TempDir()
	nrgba := pattern(image.NewNRGBA(image.Rect(0, 0, 5, 4)), 5, 4, 1)
	gray := pattern(image.NewGray(image.Rect(0, 0, 3, 6)), 3, 6, 2)
	photo := pattern(image.NewRGBA(image.Rect(0, 0, 16, 8)), 16, 8, 3)
	jpegBytes := encodeJPEG(t, photo)
	decodedJPEG, err := jpeg.Decode(bytes.NewReader(jpegBytes))
	if err != nil {
		t.Fatal(err)
	}
	// Classes sort by name whatever the creation order; files in a class too.
	writeFile(t, filepath.Join(dir, "zebra", "b.PNG"), encodePNG(t, gray))
	writeFile(t, filepath.Join(dir, "zebra", "a.jpg"), jpegBytes)
	writeFile(t, filepath.Join(dir, "ant", "nested", "x.png"), encodePNG(t, nrgba))
	writeFile(t, filepath.Join(dir, "ant", "notes.txt"), []byte("not an image"))
	writeFile(t, filepath.Join(dir, "ant", ".hidden.png"), []byte("skipped"))
	writeFile(t, filepath.Join(dir, "README"), []byte("top-level files are no classes"))

	d, err := LoadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Classes, ",") != "ant,zebra" {
		t.Fatalf("classes %v", d.Classes)
	}
	want := []struct {
		src   image.Image
		label int
		tol   int
	}{{nrgba, 0, 0}, {decodedJPEG, 1, 1}, {gray, 1, 0}}
	if d.Len() != len(want) {
		t.Fatalf("%d images, want %d", d.Len(), len(want))
	}
	for i, w := range want {
		img := d.Images[i]
		b := w.src.Bounds()
		if d.Labels[i] != w.label || img.C != 3 || img.H != b.Dy() || img.W != b.Dx() {
			t.Fatalf("image %d: label %d shape %d×%d×%d, want label %d 3×%d×%d", i, d.Labels[i], img.C, img.H, img.W, w.label, b.Dy(), b.Dx())
		}
		for c := range 3 {
			for y := range img.H {
				for x := range img.W {
					got, ref := int(img.Pix[(c*img.H+y)*img.W+x]), int(wantRGB(w.src, c, y, x))
					if got < ref-w.tol || got > ref+w.tol {
						t.Fatalf("image %d channel %d (%d,%d) = %d, want %d", i, c, x, y, got, ref)
					}
				}
			}
		}
	}
}

func TestLoadImageFolderGray(t *testing.T) {
	dir := t.TempDir()
	g8 := pattern(image.NewGray(image.Rect(0, 0, 4, 3)), 4, 3, 5)
	g16 := pattern(image.NewGray16(image.Rect(0, 0, 2, 2)), 2, 2, 6)
	writeFile(t, filepath.Join(dir, "a", "1.png"), encodePNG(t, g8))
	writeFile(t, filepath.Join(dir, "b", "2.jpeg"), encodeJPEG(t, g8))
	writeFile(t, filepath.Join(dir, "b", "3.png"), encodePNG(t, g16))
	d, err := LoadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Images[0].C != 1 || d.Images[1].C != 1 || d.Images[2].C != 1 {
		t.Fatalf("want 3 one-channel images, got %d", d.Len())
	}
	for y := range 3 {
		for x := range 4 {
			if got, want := d.Images[0].Pix[y*4+x], g8.GrayAt(x, y).Y; got != want {
				t.Fatalf("(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	// Pillow clips 16-bit grey to 255 when converting it to 8 bits.
	if got, want := d.Images[2].Pix[3], uint8(min(g16.Gray16At(1, 1).Y, 255)); got != want || g16.Gray16At(1, 1).Y <= 255 {
		t.Errorf("16-bit grey (1,1) = %d, want %d (clipped from %d)", got, want, g16.Gray16At(1, 1).Y)
	}
}

func TestLoadImageFolderErrors(t *testing.T) {
	t.Run("corrupt", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a", "ok.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2))))
		writeFile(t, filepath.Join(dir, "b", "ok.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2))))
		bad := writeFile(t, filepath.Join(dir, "a", "bad.png"), []byte("\x89PNG garbage"))
		_, err := LoadImageFolder(dir)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("error %v should name %s", err, bad)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		dir := t.TempDir()
		full := encodePNG(t, pattern(image.NewRGBA(image.Rect(0, 0, 20, 20)), 20, 20, 1))
		bad := writeFile(t, filepath.Join(dir, "a", "cut.png"), full[:len(full)/2])
		writeFile(t, filepath.Join(dir, "b", "ok.png"), full)
		_, err := LoadImageFolder(dir)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("error %v should name %s", err, bad)
		}
	})
	t.Run("no-images", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a", "x.txt"), nil)
		if _, err := LoadImageFolder(dir); err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v should name %s", err, dir)
		}
	})
	t.Run("missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		if _, err := LoadImageFolder(dir); err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v should name %s", err, dir)
		}
	})
}
