package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hugePNG is a valid PNG signature and IHDR chunk declaring w×h pixels, and
// nothing else: 33 bytes that ask for a w·h·4-byte image.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], w)
	binary.BigEndian.PutUint32(ihdr[8:], h)
	ihdr[12], ihdr[13] = 8, 6 // 8-bit RGBA
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func twoClasses(t *testing.T) string {
	dir := t.TempDir()
	px := encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2)))
	writeFile(t, filepath.Join(dir, "a", "1.png"), px)
	writeFile(t, filepath.Join(dir, "b", "2.png"), px)
	return dir
}

func TestImageFolderRefusesHugeHeaderBeforeDecoding(t *testing.T) {
	dir := twoClasses(t)
	bomb := writeFile(t, filepath.Join(dir, "b", "bomb.png"), hugePNG(60000, 60000))
	_, err := LoadImageFolder(dir)
	if !errors.Is(err, ErrImageTooLarge) || !strings.Contains(err.Error(), bomb) || !strings.Contains(err.Error(), "60000×60000") {
		t.Fatalf("error %v should name %s and its size", err, bomb)
	}
	// The bound is an option: 4 pixels pass, 3 do not.
	if _, err := LoadImageFolderWith(twoClasses(t), FolderOptions{MaxPixels: 4}); err != nil {
		t.Errorf("2×2 images within a bound of 4: %v", err)
	}
	if _, err := LoadImageFolderWith(twoClasses(t), FolderOptions{MaxPixels: 3}); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("2×2 images beyond a bound of 3: %v", err)
	}
}

func TestImageFolderFollowsSymlinkedClasses(t *testing.T) {
	elsewhere := twoClasses(t)
	dir := t.TempDir()
	px := encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2)))
	writeFile(t, filepath.Join(dir, "cat", "1.png"), px)
	if err := os.Symlink(filepath.Join(elsewhere, "b"), filepath.Join(dir, "dog")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Symlink(filepath.Join(elsewhere, "a", "1.png"), filepath.Join(dir, "cat", "2.png")); err != nil {
		t.Fatal(err)
	}
	d, err := LoadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.Classes, ",") != "cat,dog" || d.Len() != 3 || d.Labels[2] != 1 {
		t.Fatalf("classes %v, %d images, labels %v", d.Classes, d.Len(), d.Labels)
	}
}

func TestImageFolderSymlinkLoopIsAnError(t *testing.T) {
	dir := twoClasses(t)
	loop := filepath.Join(dir, "a", "again")
	if err := os.Symlink(filepath.Join(dir, "a"), loop); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	_, err := LoadImageFolder(dir)
	if err == nil || !strings.Contains(err.Error(), loop) || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("error %v should name the loop %s", err, loop)
	}
	// A link to the dataset's own folder is a loop too.
	dir = twoClasses(t)
	os.Symlink(dir, filepath.Join(dir, "c"))
	if _, err := LoadImageFolder(dir); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("link to the root: %v", err)
	}
}

func TestImageFolderNeedsTwoClassesWithImages(t *testing.T) {
	dir := twoClasses(t)
	empty := filepath.Join(dir, "c")
	writeFile(t, filepath.Join(empty, "notes.txt"), nil)
	if _, err := LoadImageFolder(dir); err == nil || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty class: error %v should name %s", err, empty)
	}
	one := t.TempDir()
	writeFile(t, filepath.Join(one, "a", "1.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2))))
	if _, err := LoadImageFolder(one); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("one class: %v", err)
	}
}

// FuzzDecodeImage feeds arbitrary bytes to the image folder's decode path
// with a bound of 4096 pixels: it must never panic, and never return an image
// larger than the bound or of another size than its header; whatever it
// returns converts to grey and to RGB. The Pillow fixtures of every format
// seed it.
func FuzzDecodeImage(f *testing.F) {
	const maxPixels = 4096
	f.Add(hugePNG(60000, 60000))
	f.Add(hugePNG(64, 64))
	f.Add(hugePNG(0, 5))
	gray := image.NewGray(image.Rect(0, 0, 3, 2))
	f.Add(encodePNG(f, gray))
	f.Add(encodeJPEG(f, pattern(image.NewRGBA(image.Rect(0, 0, 8, 8)), 8, 8, 1)))
	f.Add([]byte("\xff\xd8\xff"))
	for _, name := range []string{"palette.gif", "palette.bmp", "gray16.tiff", "rgba.tiff", "rgba_lossless.webp", "rgb_lossy.webp", "cmyk.jpg", "rgba16.png"} {
		b, err := os.ReadFile(filepath.Join("testdata/pil", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeImage(bytes.NewReader(b), maxPixels)
		if err != nil {
			return
		}
		r := m.Bounds()
		if r.Dx()*r.Dy() > maxPixels || r.Dx() < 1 || r.Dy() < 1 {
			t.Fatalf("accepted a %v image", r)
		}
		for _, channels := range []int{1, 3} {
			if c, err := ToImage(m, channels, &Image{}); err != nil || c.Len() != channels*r.Dx()*r.Dy() {
				t.Fatalf("%T %v as %d channels: %d values, %v", m, r, channels, c.Len(), err)
			}
		}
	})
}
