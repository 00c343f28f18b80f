package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// streamArgs train a tiny MLP for two epochs on 16×16 streamed images.
func streamArgs(extra ...string) []string {
	return append([]string{"-image-size", "16", "-model", "mlp", "-depth", "1", "-width", "4", "-norm", "none", "-epochs", "2",
		"-batch", "4", "-workers", "2", "-quiet"}, extra...)
}

// jpegBytes is a w×h colour JPEG drawn from seed.
func jpegBytes(t testing.TB, w, h, seed int) []byte {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Set(x, y, color.RGBA{uint8(x*9 + seed*13), uint8(y*7 + seed), uint8(seed * 29), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
}

// classImages writes n images per class into dir/<class>/, alternately PNG
// and JPEG of differing sizes, and a file that is not an image.
func classImages(t *testing.T, dir string, n int, classes ...string) {
	for k, c := range classes {
		for i := range n {
			if i%2 == 0 {
				writeFile(t, filepath.Join(dir, c, fmt.Sprintf("%d.png", i)), pngBytes(t, 20+i, 18, i+k))
			} else {
				writeFile(t, filepath.Join(dir, c, fmt.Sprintf("%d.jpg", i)), jpegBytes(t, 24, 20+i, i+k))
			}
		}
	}
}

func epochRecords(t *testing.T, dir string) []recipe.EpochMetrics {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []recipe.EpochMetrics
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var m recipe.EpochMetrics
		if json.Unmarshal([]byte(l), &m) == nil && m.Epoch > 0 {
			out = append(out, m)
		}
	}
	return out
}

// TestStreamedDatasets trains on each streamed format, generated here: an
// image folder, the ImageNet layout (whose val/ is the validation split), a
// CSV manifest with class names and a tar shard; the listing's report names
// the classes, their counts and the ignored files.
func TestStreamedDatasets(t *testing.T) {
	t.Run("folder", func(t *testing.T) {
		dir := t.TempDir()
		classImages(t, dir, 6, "cat", "dog")
		writeFile(t, filepath.Join(dir, "cat", "notes.txt"), []byte("not an image"))
		r := runCLI(t, streamArgs("-dataset", "folder", "-data-dir", dir, "-split", "4:1:1")...)
		if r.code != 0 || !strings.Contains(r.stdout, "folder: 12 images in 2 classes (cat: 6, dog: 6); 1 files that are not images ignored") ||
			!strings.Contains(r.stdout, "8 train / 2 val / 2 test images of 3×16×16") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("imagenet layout", func(t *testing.T) {
		dir := t.TempDir()
		classImages(t, filepath.Join(dir, "train"), 6, "cat", "dog")
		classImages(t, filepath.Join(dir, "val"), 2, "cat", "dog")
		r := runCLI(t, streamArgs("-dataset", "folder", "-data-dir", dir, "-split", "5:1:1")...)
		if r.code != 0 || !strings.Contains(r.stdout, "val/: 4 images in 2 classes (cat: 2, dog: 2), the validation split") ||
			!strings.Contains(r.stdout, " / 4 val / ") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("csv manifest", func(t *testing.T) {
		dir := t.TempDir()
		classImages(t, filepath.Join(dir, "img"), 4, "cat", "dog")
		var rows strings.Builder
		rows.WriteString("path,label\n")
		for _, c := range []string{"cat", "dog"} {
			for i := range 4 {
				ext := map[bool]string{true: "png", false: "jpg"}[i%2 == 0]
				fmt.Fprintf(&rows, "img/%s/%d.%s,%s\n", c, i, ext, c)
			}
		}
		manifest := filepath.Join(dir, "train.csv")
		writeFile(t, manifest, []byte(rows.String()))
		out := filepath.Join(t.TempDir(), "run")
		r := runCLI(t, streamArgs("-dataset", "csv", "-manifest", manifest, "-split", "1:0", "-out", out)...)
		if r.code != 0 || !strings.Contains(r.stdout, "csv: 8 images in 2 classes (cat: 4, dog: 4)") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if classes, _ := os.ReadFile(filepath.Join(out, classesFile)); string(classes) != "cat\ndog\n" {
			t.Errorf("classes.txt: %q", classes)
		}
	})
	t.Run("tar shards", func(t *testing.T) {
		dir := t.TempDir()
		var shard bytes.Buffer
		tw := tar.NewWriter(&shard)
		for i := range 8 {
			for _, m := range []struct {
				name string
				body []byte
			}{{fmt.Sprintf("s%02d.jpg", i), jpegBytes(t, 20, 20, i)}, {fmt.Sprintf("s%02d.cls", i), []byte(fmt.Sprint(i % 2))}} {
				tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.body))})
				tw.Write(m.body)
			}
		}
		tw.Close()
		writeFile(t, filepath.Join(dir, "shard-000.tar"), shard.Bytes())
		r := runCLI(t, streamArgs("-dataset", "tar", "-data-dir", dir, "-split", "1:0")...)
		if r.code != 0 || !strings.Contains(r.stdout, "tar: 8 images in 2 classes (0: 4, 1: 4)") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("missing manifest", func(t *testing.T) {
		args := streamArgs("-dataset", "csv")
		refused(t, runCLI(t, args...), args, "flag -manifest")
	})
}

// badFolder is an image folder with a corrupt JPEG and a zero-byte PNG.
func badFolder(t *testing.T) (dir, corrupt, empty string) {
	dir = t.TempDir()
	classImages(t, dir, 6, "cat", "dog")
	corrupt, empty = filepath.Join(dir, "dog", "broken.jpg"), filepath.Join(dir, "cat", "empty.png")
	writeFile(t, corrupt, append(jpegBytes(t, 20, 20, 1)[:40], "truncated"...))
	writeFile(t, empty, nil)
	return dir, corrupt, empty
}

// TestBadImages: by default an image that cannot be decoded ends the run
// with exit status 2 and a message naming the file; with -bad-images skip
// the run trains, and each epoch's record counts the images left out.
func TestBadImages(t *testing.T) {
	dir, corrupt, empty := badFolder(t)
	args := streamArgs("-dataset", "folder", "-data-dir", dir, "-split", "1:0")
	r := runCLI(t, args...)
	if !strings.Contains(r.stderr, corrupt) && !strings.Contains(r.stderr, empty) {
		t.Errorf("-bad-images fail: stderr %q names neither bad file", r.stderr)
	}
	refused(t, r, args, "train: ")

	out := filepath.Join(t.TempDir(), "run")
	r = runCLI(t, append(args, "-bad-images", "skip", "-out", out)...)
	if r.code != 0 || !strings.Contains(r.stderr, corrupt) || !strings.Contains(r.stderr, empty) {
		t.Fatalf("-bad-images skip: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	records := epochRecords(t, out)
	if len(records) != 2 || records[0].SkippedImages != 2 || records[1].SkippedImages != 2 {
		t.Errorf("epoch records %+v, want 2 skipped images in each of 2", records)
	}
	args = []string{"-bad-images", "sometimes"}
	refused(t, runCLI(t, args...), args, "flag -bad-images")
}

// TestResumeWithSkippedImagesIsBitExact: a run with bad images skipped, cut
// after epoch 1 and resumed to epoch 3, ends with the weights of the
// uninterrupted run, byte for byte, and the same per-epoch losses.
func TestResumeWithSkippedImagesIsBitExact(t *testing.T) {
	dir, _, _ := badFolder(t)
	base := streamArgs("-dataset", "folder", "-data-dir", dir, "-split", "4:1:1", "-bad-images", "skip", "-schedule", "none")
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	if err := dispatch(append(base, "-out", whole, "-epochs", "3")); err != nil {
		t.Fatal(err)
	}
	if err := dispatch(append(base, "-out", cut, "-epochs", "1")); err != nil {
		t.Fatal(err)
	}
	if err := dispatch([]string{"-resume", cut, "-epochs", "3", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	a, b := epochRecords(t, whole), epochRecords(t, cut)
	if len(a) != 3 || len(b) != 3 {
		t.Fatalf("%d and %d epochs", len(a), len(b))
	}
	for i := range a {
		if a[i].TrainLoss != b[i].TrainLoss || a[i].ValLoss != b[i].ValLoss || a[i].SkippedImages != b[i].SkippedImages {
			t.Errorf("epoch %d: uninterrupted %+v, resumed %+v", i+1, a[i], b[i])
		}
	}
	wa, _ := os.ReadFile(filepath.Join(whole, "model.safetensors"))
	wb, _ := os.ReadFile(filepath.Join(cut, "model.safetensors"))
	if len(wa) == 0 || !bytes.Equal(wa, wb) {
		t.Error("model.safetensors of the uninterrupted and the resumed run differ")
	}
}
