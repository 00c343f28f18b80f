package augment

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/descent-ml/descent/data"
)

// WritePhotoFolder writes n width×height JPEGs (quality 90) into dir/<class>/
// as an image folder of classes classes, image i in class i mod classes. The
// pictures are smooth colour waves with fine grain, drawn from seed, so that
// they compress and decode like photographs rather than like noise or flat
// colour. It is the input of the loader's throughput measurement.
func WritePhotoFolder(dir string, n, classes, width, height int, seed uint64) error {
	if n < 1 || classes < 1 || width < 1 || height < 1 {
		return fmt.Errorf("augment: photo folder of %d images in %d classes of %d×%d", n, classes, width, height)
	}
	rng := rand.New(rand.NewPCG(seed, 0x70686f746f))
	m := image.NewYCbCr(image.Rect(0, 0, width, height), image.YCbCrSubsampleRatio420)
	var buf bytes.Buffer
	for i := range n {
		// Three waves per plane, random directions, frequencies and phases.
		type wave struct{ fx, fy, phase, amp float64 }
		waves := make([]wave, 9)
		for k := range waves {
			f := 0.005 + 0.05*rng.Float64()
			a := 2 * math.Pi * rng.Float64()
			waves[k] = wave{f * math.Cos(a), f * math.Sin(a), 2 * math.Pi * rng.Float64(), 20 + 40*rng.Float64()}
		}
		level := func(x, y, plane int) uint8 {
			v := 128.0
			for _, w := range waves[3*plane : 3*plane+3] {
				v += w.amp / 3 * math.Sin(w.fx*float64(x)+w.fy*float64(y)+w.phase)
			}
			return uint8(max(0, min(255, v)))
		}
		for y := range height {
			for x := range width {
				m.Y[m.YOffset(x, y)] = level(x, y, 0) + uint8(rng.IntN(9)) - 4
			}
		}
		for y := 0; y < height; y += 2 {
			for x := 0; x < width; x += 2 {
				m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)] = level(x, y, 1), level(x, y, 2)
			}
		}
		buf.Reset()
		if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
			return fmt.Errorf("augment: %w", err)
		}
		path := filepath.Join(dir, fmt.Sprintf("class%03d", i%classes), fmt.Sprintf("img%06d.jpg", i))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("augment: %w", err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("augment: %w", err)
		}
	}
	return nil
}

// ImageNetTrainLoader is the loader of ImageNet training on a Stream:
// ImageNetTrain(size) (RandomResizedCrop and flip) and normalization with
// data.ImageNetStats, decoding in the workers.
func ImageNetTrainLoader(src data.Source, size, batch, workers int, seed uint64) (*Loader, error) {
	norm, err := data.NewNormalizer(data.NormStandardize, data.ImageNetStats)
	if err != nil {
		return nil, err
	}
	return NewLoader(src, Config{BatchSize: batch, Shuffle: true, Seed: seed, Workers: workers, Transform: ImageNetTrain(size), Normalizer: norm})
}

// MeasureLoader runs epochs of l and returns the samples prepared per second
// of wall time (the consumer does nothing with them).
func MeasureLoader(l *Loader, epochs int) (float64, error) {
	samples := 0
	start := time.Now()
	for epoch := range epochs {
		for b := range l.Epoch(epoch) {
			samples += b.N
		}
		if err := l.Err(); err != nil {
			return 0, err
		}
	}
	return float64(samples) / time.Since(start).Seconds(), nil
}
