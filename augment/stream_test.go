package augment

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
)

// writeImageFolder writes n PNG images of varying sizes into classes folders
// under dir, image i in class i mod classes, and returns dir.
func writeImageFolder(t testing.TB, dir string, n, classes int) string {
	t.Helper()
	for i := range n {
		w, h := 10+i%5, 9+i%3
		m := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.Set(x, y, color.NRGBA{uint8(x*23 + i*7), uint8(y*31 + i), uint8(x*y + i*3), 255})
			}
		}
		var b bytes.Buffer
		if err := png.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, fmt.Sprintf("class%d", i%classes), fmt.Sprintf("img%03d.png", i)), b.Bytes())
	}
	return dir
}

func writeTestFile(t testing.TB, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

func openStream(t testing.TB, dir string) *data.Stream {
	t.Helper()
	s, _, err := data.OpenFolder(dir, data.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A Stream decoded by the workers gives the batches of the same folder read
// into memory first, whatever the number of workers.
func TestLoaderStreamMatchesInMemory(t *testing.T) {
	dir := writeImageFolder(t, t.TempDir(), 37, 3)
	inMemory, err := data.LoadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BatchSize: 8, Shuffle: true, Seed: 5, Transform: ImageNetTrain(8), Workers: 1}
	want := collect(t, newLoader(t, inMemory, cfg), 2)
	for _, workers := range []int{1, 3} {
		cfg.Workers = workers
		l, err := NewLoader(openStream(t, dir), cfg)
		if err != nil {
			t.Fatal(err)
		}
		got := collect(t, l, 2)
		if len(got) != len(want) || l.Err() != nil {
			t.Fatalf("%d batches (%v), want %d", len(got), l.Err(), len(want))
		}
		for k := range want {
			if !slices.Equal(got[k].X, want[k].X) || !slices.Equal(got[k].Labels, want[k].Labels) || got[k].Skipped != 0 {
				t.Fatalf("%d workers: batch %d differs from the in-memory one", workers, k)
			}
		}
	}
}

func TestLoaderStreamBadImages(t *testing.T) {
	dir := writeImageFolder(t, t.TempDir(), 20, 2)
	bad := filepath.Join(dir, "class1", "img007.png") // sample 13 in listing order
	writeTestFile(t, bad, []byte("\x89PNG\r\n\x1a\n truncated"))
	empty := filepath.Join(dir, "class0", "img004.png") // sample 2
	writeTestFile(t, empty, nil)
	s := openStream(t, dir)
	cfg := Config{BatchSize: 6, Shuffle: true, Seed: 9, Transform: ImageNetTrain(8), Workers: 2}

	// By default the epoch stops at the first bad image, whose file the error names.
	l, err := NewLoader(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range l.Epoch(0) {
		n++
	}
	if err := l.Err(); err == nil || !(strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), empty)) || n >= l.Len() {
		t.Fatalf("after %d of %d batches: %v, want an error naming %s or %s", n, l.Len(), err, bad, empty)
	}
	// The next epoch that stops early by its caller's choice reports no error.
	for range l.Epoch(1) {
		break
	}
	if err := l.Err(); err != nil {
		t.Fatalf("an epoch stopped by its caller: %v", err)
	}

	// Skipping leaves both out, logs each once over two epochs, and gives the
	// same batches whatever the number of workers.
	var ref [][]Batch
	for _, workers := range []int{1, 3} {
		var logs []string
		cfg.SkipBadImages, cfg.Workers = true, workers
		cfg.Logf = func(format string, args ...any) { logs = append(logs, fmt.Sprintf(format, args...)) }
		l, err := NewLoader(s, cfg)
		if err != nil {
			t.Fatal(err)
		}
		var epochs [][]Batch
		for epoch := range 2 {
			var batches []Batch
			skipped, samples := 0, 0
			for b := range l.Epoch(epoch) {
				batches = append(batches, Batch{N: b.N, X: slices.Clone(b.X), Samples: slices.Clone(b.Samples), Skipped: b.Skipped})
				skipped += b.Skipped
				samples += b.N
				if b.N+b.Skipped != min(6, 20-6*b.Index) || len(b.X) != b.N*3*8*8 || slices.Contains(b.Samples, 2) || slices.Contains(b.Samples, 13) {
					t.Fatalf("batch %d: %d samples + %d skipped, %d values, samples %v", b.Index, b.N, b.Skipped, len(b.X), b.Samples)
				}
			}
			if l.Err() != nil || skipped != 2 || samples != 18 {
				t.Fatalf("epoch %d: %d skipped, %d samples, error %v", epoch, skipped, samples, l.Err())
			}
			epochs = append(epochs, batches)
		}
		if len(logs) != 2 || !strings.Contains(strings.Join(logs, "\n"), bad) || !strings.Contains(strings.Join(logs, "\n"), empty+": empty file") {
			t.Fatalf("logged %q, want each bad file once", logs)
		}
		if ref == nil {
			ref = epochs
			continue
		}
		for e := range ref {
			for k := range ref[e] {
				if !slices.Equal(ref[e][k].X, epochs[e][k].X) || !slices.Equal(ref[e][k].Samples, epochs[e][k].Samples) {
					t.Fatalf("epoch %d batch %d differs between 1 and %d workers", e, k, workers)
				}
			}
		}
	}
}

// Without a transform that fixes the size, images of another size end the
// epoch with an error naming the file instead of a panic.
func TestLoaderStreamShapeMismatch(t *testing.T) {
	dir := writeImageFolder(t, t.TempDir(), 6, 2)
	l, err := NewLoader(openStream(t, dir), Config{BatchSize: 2, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	for range l.Epoch(0) {
	}
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "img002.png") || !strings.Contains(err.Error(), "resize or crop") {
		t.Fatalf("error %v, want one naming img002.png (the first of another size)", err)
	}
	// A transform that cannot apply to an image is the same kind of error, even
	// when bad images are skipped.
	var tiny bytes.Buffer
	if err := png.Encode(&tiny, image.NewGray(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "class1", "tiny.png"), tiny.Bytes())
	l, err = NewLoader(openStream(t, dir), Config{BatchSize: 2, SkipBadImages: true, Transform: RandomCrop{Height: 8, Width: 8}})
	if err != nil {
		t.Fatal(err)
	}
	for range l.Epoch(0) {
	}
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "tiny.png (3×3×3)") {
		t.Fatalf("error %v, want one naming tiny.png, too small for the crop", err)
	}
}
