package augment

import (
	"testing"

	"github.com/descent-ml/descent/data"
)

// benchLoader measures samples per second through a Loader, transform and
// normalization included.
func benchLoader(b *testing.B, ds *data.Dataset, tr Transform, workers int) {
	stats, err := data.ComputeStats(ds)
	if err != nil {
		b.Fatal(err)
	}
	norm, err := data.NewNormalizer(data.NormStandardize, stats)
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLoader(ds, Config{BatchSize: 128, Shuffle: true, Seed: 1, Workers: workers, Transform: tr, Normalizer: norm})
	if err != nil {
		b.Fatal(err)
	}
	samples := 0
	b.ResetTimer()
	for epoch := 0; b.Loop(); epoch++ {
		for batch := range l.Epoch(epoch) {
			samples += batch.N
		}
	}
	b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "images/s")
}

// mnistLike is a typical MNIST augmentation: small rotations and shifts.
func mnistLike() Transform {
	return Compose(
		RandomApply{P: 0.5, T: RandomRotate{MaxDegrees: 10, Interpolation: Bilinear}},
		RandomTranslate{MaxX: 0.1, MaxY: 0.1},
	)
}

// cifarStandard is the standard CIFAR-10 augmentation: pad-4 random crop and flip.
func cifarStandard() Transform {
	return Compose(RandomCrop{Height: 32, Width: 32, Padding: 4}, RandomApply{P: 0.5, T: FlipHorizontal{}})
}

func BenchmarkLoaderMNIST(b *testing.B) {
	ds := labelledDataset(4096, 1, 28, 28, 10)
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) { benchLoader(b, ds, mnistLike(), w) })
	}
}

func BenchmarkLoaderCIFAR(b *testing.B) {
	ds := labelledDataset(4096, 3, 32, 32, 10)
	for _, w := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[w], func(b *testing.B) { benchLoader(b, ds, cifarStandard(), w) })
	}
	b.Run("jitter+rotate/workers=2", func(b *testing.B) {
		benchLoader(b, ds, Compose(cifarStandard(), ColorJitter{Brightness: 0.2, Contrast: 0.2}, RandomRotate{MaxDegrees: 15, Interpolation: Bilinear}), 2)
	})
	b.Run("none/workers=2", func(b *testing.B) { benchLoader(b, ds, nil, 2) })
}

// BenchmarkTransforms measures single transforms on one 3×32×32 image.
func BenchmarkTransforms(b *testing.B) {
	src := randomImage(3, 32, 32, 1)
	for _, c := range []struct {
		name string
		t    Transform
	}{
		{"flip", FlipHorizontal{}},
		{"pad-crop", RandomCrop{Height: 32, Width: 32, Padding: 4}},
		{"rotate-nearest", RandomRotate{MaxDegrees: 15}},
		{"rotate-bilinear", RandomRotate{MaxDegrees: 15, Interpolation: Bilinear}},
		{"resize-up", Resize{Height: 48, Width: 48}},
		{"resize-down", Resize{Height: 20, Width: 20}},
		{"jitter", ColorJitter{Brightness: 0.3, Contrast: 0.3}},
		{"erasing", RandomErasing{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			ctx := NewContext(1)
			var dst data.Image
			i := 0
			for b.Loop() {
				ctx.Seed(1, 0, i)
				c.t.Apply(&dst, src, ctx)
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
