package data

import (
	"image"
	"math"
	"path/filepath"
	"testing"

	"github.com/descent-ml/descent/internal/cputime"
)

// BenchmarkStreamImageJPEG decodes and converts one 500×375 colour JPEG (4:2:0,
// quality 90), the decoding share of the loader's ImageNet benchmark
// (augment's BenchmarkLoaderJPEGFolder), per wall and per CPU second.
func BenchmarkStreamImageJPEG(b *testing.B) {
	dir := b.TempDir()
	m := image.NewYCbCr(image.Rect(0, 0, 500, 375), image.YCbCrSubsampleRatio420)
	for y := range 375 {
		for x := range 500 {
			m.Y[m.YOffset(x, y)] = uint8(128 + 60*math.Sin(float64(x)/17+float64(y)/29) + float64((x*7+y*13)%9))
			m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)] = uint8(128+40*math.Sin(float64(y)/31)), uint8(128+40*math.Cos(float64(x)/23))
		}
	}
	writeFile(b, filepath.Join(dir, "a", "1.jpg"), encodeJPEG(b, m))
	writeFile(b, filepath.Join(dir, "b", "2.jpg"), encodeJPEG(b, m))
	s, _, err := OpenFolder(dir, StreamOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var scratch Image
	cpu0, err := cputime.Seconds()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		if _, err := s.Image(0, &scratch); err != nil {
			b.Fatal(err)
		}
		n++
	}
	cpu1, err := cputime.Seconds()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/(cpu1-cpu0), "images/cpu-s")
}
