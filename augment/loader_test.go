package augment

import (
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/descent-ml/descent/data"
)

// labelledDataset has n random c×h×w images with labels i mod classes.
func labelledDataset(n, c, h, w, classes int) *data.Dataset {
	d := &data.Dataset{Classes: make([]string, classes)}
	for i := range n {
		d.Images = append(d.Images, randomImage(c, h, w, uint64(i)))
		d.Labels = append(d.Labels, i%classes)
	}
	return d
}

// collect runs one epoch and copies out what it yields.
func collect(t *testing.T, l *Loader, epoch int) []Batch {
	t.Helper()
	var out []Batch
	for b := range l.Epoch(epoch) {
		out = append(out, Batch{
			Index: b.Index, N: b.N, C: b.C, H: b.H, W: b.W,
			X: slices.Clone(b.X), Labels: slices.Clone(b.Labels), Samples: slices.Clone(b.Samples),
		})
	}
	return out
}

func newLoader(t *testing.T, ds *data.Dataset, cfg Config) *Loader {
	t.Helper()
	l, err := NewLoader(ds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func cifarLike() Transform {
	return Compose(
		RandomCrop{Height: 8, Width: 8, Padding: 2},
		RandomApply{P: 0.5, T: FlipHorizontal{}},
		RandomApply{P: 0.3, T: RandomRotate{MaxDegrees: 15, Interpolation: Bilinear}},
		ColorJitter{Brightness: 0.2, Contrast: 0.2},
	)
}

func TestLoaderBatchesCoverEpoch(t *testing.T) {
	ds := labelledDataset(23, 3, 4, 5, 4)
	for _, c := range []struct {
		batch    int
		dropLast bool
		sizes    []int
	}{
		{5, false, []int{5, 5, 5, 5, 3}},
		{5, true, []int{5, 5, 5, 5}},
		{1, false, slices.Repeat([]int{1}, 23)},
		{23, true, []int{23}},
		{100, false, []int{23}},
	} {
		l := newLoader(t, ds, Config{BatchSize: c.batch, DropLast: c.dropLast, Shuffle: true, Seed: 3, Workers: 3})
		if l.Len() != len(c.sizes) {
			t.Errorf("batch %d drop-last %v: Len %d, want %d", c.batch, c.dropLast, l.Len(), len(c.sizes))
		}
		batches := collect(t, l, 1)
		var seen []int
		for k, b := range batches {
			if b.Index != k || b.N != c.sizes[k] || len(b.X) != b.N*3*4*5 || len(b.Labels) != b.N || len(b.Samples) != b.N {
				t.Fatalf("batch %d drop-last %v: batch %d has index %d, %d samples, %d values", c.batch, c.dropLast, k, b.Index, b.N, len(b.X))
			}
			for i, s := range b.Samples {
				if b.Labels[i] != ds.Labels[s] {
					t.Fatalf("sample %d labelled %d, want %d", s, b.Labels[i], ds.Labels[s])
				}
				// Without a transform, X is the image scaled to [0, 1].
				for k, p := range ds.Images[s].Pix {
					if got := b.X[i*60+k]; got != float32(float64(p)/255) {
						t.Fatalf("sample %d value %d = %v, want %v", s, k, got, float64(p)/255)
					}
				}
			}
			seen = append(seen, b.Samples...)
		}
		if !slices.Equal(seen, l.Order(1)[:len(seen)]) {
			t.Errorf("batches do not follow the epoch's order")
		}
		slices.Sort(seen)
		if len(slices.Compact(slices.Clone(seen))) != len(seen) || (!c.dropLast && len(seen) != 23) {
			t.Errorf("epoch does not visit every sample once: %v", seen)
		}
	}
}

func TestLoaderShuffle(t *testing.T) {
	ds := labelledDataset(50, 1, 2, 2, 2)
	l := newLoader(t, ds, Config{BatchSize: 7, Shuffle: true, Seed: 9})
	a, b := l.Order(0), l.Order(1)
	if slices.Equal(a, b) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if !slices.Equal(a, newLoader(t, ds, Config{BatchSize: 3, Shuffle: true, Seed: 9}).Order(0)) {
		t.Error("the same seed and epoch gave another order")
	}
	if slices.Equal(a, newLoader(t, ds, Config{BatchSize: 7, Shuffle: true, Seed: 10}).Order(0)) {
		t.Error("seeds 9 and 10 gave the same order")
	}
	sorted := slices.Clone(a)
	slices.Sort(sorted)
	if !slices.Equal(sorted, newLoader(t, ds, Config{BatchSize: 7}).Order(5)) {
		t.Errorf("order %v is no permutation, or the unshuffled order is not 0..n-1", a)
	}
}

func TestLoaderDeterministicAcrossWorkers(t *testing.T) {
	ds := labelledDataset(70, 3, 8, 8, 10)
	stats := data.Stats{Mean: []float64{0.4, 0.5, 0.6}, Std: []float64{0.2, 0.25, 0.3}}
	norm, err := data.NewNormalizer(data.NormStandardize, stats)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BatchSize: 16, Shuffle: true, Seed: 42, Transform: cifarLike(), Normalizer: norm}
	var ref []Batch
	for _, workers := range []int{1, 2, 5} {
		for _, prefetch := range []int{1, 4} {
			cfg.Workers, cfg.Prefetch = workers, prefetch
			got := collect(t, newLoader(t, ds, cfg), 3)
			if ref == nil {
				ref = got
				continue
			}
			for k := range ref {
				if !slices.Equal(got[k].X, ref[k].X) || !slices.Equal(got[k].Samples, ref[k].Samples) {
					t.Fatalf("%d workers, prefetch %d: batch %d differs from 1 worker", workers, prefetch, k)
				}
			}
		}
	}
	// Each sample is its own transform under the sample's seed, then normalized.
	ctx := NewContext(0)
	var tmp data.Image
	x := make([]float32, 3*8*8)
	for _, b := range ref {
		for i, s := range b.Samples {
			ctx.Seed(42, 3, s)
			norm.Apply(x, cfg.Transform.Apply(&tmp, ds.Images[s], ctx))
			if !slices.Equal(b.X[i*192:(i+1)*192], x) {
				t.Fatalf("batch %d sample %d is not its transform under its own seed", b.Index, s)
			}
		}
	}
	// Another epoch augments differently; the same epoch again gives the same.
	l := newLoader(t, ds, cfg)
	if again := collect(t, l, 3); !slices.Equal(again[0].X, ref[0].X) {
		t.Error("epoch 3 run twice differs")
	}
	cfg.Shuffle = false
	l = newLoader(t, ds, cfg)
	e3, e4 := collect(t, l, 3), collect(t, l, 4)
	if slices.Equal(e3[0].X, e4[0].X) {
		t.Error("epochs 3 and 4 gave the same augmentation")
	}
}

func TestLoaderStopsEarly(t *testing.T) {
	ds := labelledDataset(200, 1, 8, 8, 2)
	l := newLoader(t, ds, Config{BatchSize: 4, Workers: 3, Prefetch: 3, Transform: Compose(RandomRotate{MaxDegrees: 10})})
	before := runtime.NumGoroutine()
	for range 5 {
		for b := range l.Epoch(0) {
			if b.Index == 2 {
				break
			}
		}
	}
	// The buffers are reused by the next full epoch, which must still be complete.
	if got := collect(t, l, 0); len(got) != 50 {
		t.Fatalf("%d batches after early stops, want 50", len(got))
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running, %d before", n, before)
	}
}

func TestLoaderConcurrentEpochs(t *testing.T) {
	ds := labelledDataset(40, 1, 6, 6, 2)
	l := newLoader(t, ds, Config{BatchSize: 8, Workers: 2, Shuffle: true, Seed: 1, Transform: RandomCrop{Height: 4, Width: 4}})
	want := collect(t, l, 7)
	done := make(chan []Batch, 3)
	for range 3 {
		go func() {
			var out []Batch
			for b := range l.Epoch(7) {
				out = append(out, Batch{X: slices.Clone(b.X)})
			}
			done <- out
		}()
	}
	for range 3 {
		got := <-done
		for k := range want {
			if !slices.Equal(got[k].X, want[k].X) {
				t.Fatal("concurrent epochs interfered")
			}
		}
	}
}

func TestLoaderErrors(t *testing.T) {
	ds := labelledDataset(10, 3, 6, 6, 2)
	mixed := labelledDataset(3, 3, 6, 6, 2)
	mixed.Images[2] = randomImage(3, 5, 7, 1)
	centre, _ := data.NewNormalizer(data.NormCenter, data.Stats{Mean: []float64{0.5}})
	cases := []struct {
		name    string
		ds      *data.Dataset
		cfg     Config
		mention string
	}{
		{"empty", &data.Dataset{}, Config{BatchSize: 1}, "empty"},
		{"batch", ds, Config{BatchSize: 0}, "batch size 0"},
		{"drop-last", ds, Config{BatchSize: 11, DropLast: true}, "no batch"},
		{"workers", ds, Config{BatchSize: 1, Workers: -1}, "workers"},
		{"transform", ds, Config{BatchSize: 1, Transform: Compose(FlipVertical{}, RandomCrop{Height: 9, Width: 2})}, "step 2"},
		{"shapes", mixed, Config{BatchSize: 1}, "image 2"},
		{"channels", ds, Config{BatchSize: 1, Normalizer: centre}, "1 channels"},
		{"labels", &data.Dataset{Images: ds.Images[:1], Labels: []int{5}, Classes: []string{"a"}}, Config{BatchSize: 1}, "label 5"},
	}
	for _, c := range cases {
		_, err := NewLoader(c.ds, c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.mention) {
			t.Errorf("%s: error %v should mention %q", c.name, err, c.mention)
		}
	}
	// Images of several sizes are fine once a transform makes them one size.
	if _, err := NewLoader(mixed, Config{BatchSize: 2, Transform: Compose(ResizeShorter{Size: 5}, CenterCrop{Height: 5, Width: 5})}); err != nil {
		t.Error(err)
	}
}

func TestLoaderNormalizedStats(t *testing.T) {
	// Standardizing with the dataset's own statistics gives mean 0 and std 1 per channel.
	ds := labelledDataset(30, 3, 5, 5, 3)
	stats, err := data.ComputeStats(ds)
	if err != nil {
		t.Fatal(err)
	}
	norm, _ := data.NewNormalizer(data.NormStandardize, stats)
	l := newLoader(t, ds, Config{BatchSize: 30, Normalizer: norm})
	for b := range l.Epoch(0) {
		for c := range 3 {
			var sum, sq float64
			for i := range b.N {
				for _, v := range b.X[(i*3+c)*25 : (i*3+c+1)*25] {
					sum += float64(v)
					sq += float64(v) * float64(v)
				}
			}
			n := float64(b.N * 25)
			if mean, std := sum/n, math.Sqrt(sq/n-(sum/n)*(sum/n)); math.Abs(mean) > 1e-5 || math.Abs(std-1) > 1e-5 {
				t.Errorf("channel %d: mean %v std %v after standardizing", c, mean, std)
			}
		}
	}
}
