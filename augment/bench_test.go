package augment

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/cputime"
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

// namedTransform is one benchmark case.
type namedTransform struct {
	name string
	t    Transform
}

// BenchmarkTransforms measures single transforms on one 3×32×32 image.
func BenchmarkTransforms(b *testing.B) {
	benchTransforms(b, randomImage(3, 32, 32, 1), []namedTransform{
		{"flip", FlipHorizontal{}},
		{"pad-crop", RandomCrop{Height: 32, Width: 32, Padding: 4}},
		{"rotate-nearest", RandomRotate{MaxDegrees: 15}},
		{"rotate-bilinear", RandomRotate{MaxDegrees: 15, Interpolation: Bilinear}},
		{"resize-up", Resize{Height: 48, Width: 48}},
		{"resize-down", Resize{Height: 20, Width: 20}},
		{"jitter", ColorJitter{Brightness: 0.3, Contrast: 0.3}},
		{"erasing", RandomErasing{}},
	})
}

// BenchmarkImageNetTransforms measures the ImageNet-style and automatic
// augmentations on one 3×224×224 image (a photo-like one, so that equalization
// and autocontrast have work to do).
func BenchmarkImageNetTransforms(b *testing.B) {
	benchTransforms(b, photo(3, 224, 224), []namedTransform{
		{"random-resized-crop", RandomResizedCrop{Height: 224, Width: 224}},
		{"imagenet-train", ImageNetTrain(224)},
		{"imagenet-eval", ImageNetEval(224)},
		{"shear-x", Affine{ShearX: 16.7, Center: &corner}},
		{"rotate-nearest", Rotate{Degrees: 27}},
		{"rotate-bilinear", Rotate{Degrees: 27, Interpolation: Bilinear}},
		{"translate", Translate{DX: 40}},
		{"brightness", Brightness{Factor: 1.5}},
		{"saturation", Saturation{Factor: 1.5}},
		{"contrast", Contrast{Factor: 1.5}},
		{"sharpness", Sharpness{Factor: 1.5}},
		{"posterize", Posterize{Bits: 4}},
		{"solarize", Solarize{Threshold: 128}},
		{"autocontrast", AutoContrast{}},
		{"equalize", Equalize{}},
		{"randaugment-2-9", RandAugment{N: 2, M: 9}},
		{"trivialaugment", TrivialAugmentWide{}},
	})
}

// benchTransforms applies each transform to src, one sample seed per iteration.
func benchTransforms(b *testing.B, src data.Image, cases []namedTransform) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if _, _, _, err := c.t.OutputShape(src.C, src.H, src.W); err != nil {
				b.Fatal(err)
			}
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

// BenchmarkLoaderJPEGFolder is the streaming loader's throughput on ImageNet
// training: 500×375 JPEGs decoded by the workers, RandomResizedCrop(224), flip
// and normalization, for 1, 2, … GOMAXPROCS workers. images/s is per second of
// wall time; images/cpu-s per second of CPU time used by the process (all
// cores together), the per-core figure that a machine shared with other work
// still measures.
func BenchmarkLoaderJPEGFolder(b *testing.B) {
	dir := b.TempDir()
	if err := WritePhotoFolder(dir, 64, 4, 500, 375, 1); err != nil {
		b.Fatal(err)
	}
	src, _, err := data.OpenFolder(dir, data.StreamOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for w := 1; w <= runtime.GOMAXPROCS(0); w++ {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			l, err := ImageNetTrainLoader(src, 224, 32, w, 1)
			if err != nil {
				b.Fatal(err)
			}
			samples := 0
			cpu0 := cpuSeconds(b)
			for epoch := 0; b.Loop(); epoch++ {
				for batch := range l.Epoch(epoch) {
					samples += batch.N
				}
				if err := l.Err(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(samples)/b.Elapsed().Seconds(), "images/s")
			b.ReportMetric(float64(samples)/(cpuSeconds(b)-cpu0), "images/cpu-s")
		})
	}
}

// cpuSeconds is the CPU time the process has used.
func cpuSeconds(b *testing.B) float64 {
	s, err := cputime.Seconds()
	if err != nil {
		b.Fatal(err)
	}
	return s
}
