package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// torchPython is Debian's Python with torch and torchvision, or skips.
func torchPython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if exec.Command(py, "-c", "import torch, torchvision, PIL, numpy").Run() != nil {
		t.Skipf("%s lacks torch and torchvision (Debian: python3-torch, python3-torchvision)", py)
	}
	return py
}

// writePNG writes a w×h image with smooth gradients and noise, in colour or grey.
func writePNG(t *testing.T, path string, w, h int, grey bool, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var img image.Image
	if grey {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for i := range g.Pix {
			g.Pix[i] = uint8((i%w)*200/w + rng.IntN(56))
		}
		img = g
	} else {
		c := image.NewNRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				c.Set(x, y, color.NRGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8(rng.IntN(256)), 255})
			}
		}
		img = c
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// reference is torchvision's top 5 of one image.
type reference struct {
	File  string
	Index []int
	Prob  []float64
}

func torchvisionTop5(t *testing.T, py string, args ...string) map[string]reference {
	t.Helper()
	out, err := exec.Command(py, append([]string{"testdata/predict_reference.py", "predict"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	refs := map[string]reference{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r reference
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		refs[r.File] = r
	}
	return refs
}

// checkTop5 compares predict -json's lines with torchvision's.
func checkTop5(t *testing.T, stdout string, refs map[string]reference, files []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d lines for %d images: %s", len(lines), len(files), stdout)
	}
	for i, line := range lines {
		var got prediction
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		want := refs[files[i]]
		if got.File != files[i] || len(got.Top) != len(want.Index) {
			t.Fatalf("line %q, want %d classes of %s", line, len(want.Index), files[i])
		}
		for k, top := range got.Top {
			if top.Index != want.Index[k] || math.Abs(top.Prob-want.Prob[k]) > 1e-4 {
				t.Errorf("%s: top %d is class %d with %.6f, torchvision's %d with %.6f", filepath.Base(files[i]), k+1, top.Index, top.Prob, want.Index[k], want.Prob[k])
			}
		}
	}
}

// TestPredictTorchvisionWeights is issue 13's acceptance test: a real-size
// torchvision resnet18 with random weights, saved by torch.save, predicts
// with -json the same top 5 classes as torchvision, with probabilities within
// 1e-4, under the same evaluation transform; images of any mode are read as
// RGB, and a file that is no image gives one line naming it while the others
// are still predicted and the command fails.
func TestPredictTorchvisionWeights(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real-size resnet18")
	}
	py := torchPython(t)
	dir := t.TempDir()
	weightsFile := filepath.Join(dir, "resnet18.pth")
	if out, err := exec.Command(py, "testdata/predict_reference.py", "save", weightsFile, "3").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	colour, grey, broken := filepath.Join(dir, "colour.png"), filepath.Join(dir, "grey.png"), filepath.Join(dir, "broken.png")
	writePNG(t, colour, 331, 250, false, 1)
	writePNG(t, grey, 240, 300, true, 2)
	if err := os.WriteFile(broken, []byte("\x89PNG\r\n\x1a\n truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	refs := torchvisionTop5(t, py, "resnet18", weightsFile, "1000", "256", "224", "0.485,0.456,0.406", "0.229,0.224,0.225", colour, grey)

	var stdout, stderr bytes.Buffer
	err := predictCommand([]string{"-model", "resnet18", "-weights", weightsFile, "-json", colour, broken, grey}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 images") {
		t.Errorf("got error %v, want one of three images unreadable", err)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], broken) {
		t.Errorf("stderr %q: want one line naming %s", stderr.String(), broken)
	}
	checkTop5(t, stdout.String(), refs, []string{colour, grey})
}

// TestPredictRun: a run of resnet18 on an image folder exports a model that
// torchvision loads strictly (num_batches_tracked included), and predict -run
// applies the run's evaluation transform (resize, centre crop, the training
// split's statistics) and class names, as torchvision does with them.
func TestPredictRun(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a resnet18")
	}
	py := torchPython(t)
	root := t.TempDir()
	folder, run := filepath.Join(root, "photos"), filepath.Join(root, "run")
	for c, class := range []string{"cats", "dogs"} {
		if err := os.MkdirAll(filepath.Join(folder, class), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range 6 {
			writePNG(t, filepath.Join(folder, class, fmt.Sprintf("%d.png", i)), 40+3*i, 36+5*c, false, uint64(10*c+i))
		}
	}
	if err := dispatch([]string{"-dataset", "folder", "-data-dir", folder, "-model", "resnet18", "-image-size", "32",
		"-split", "4:1:1", "-batch", "4", "-epochs", "1", "-out", run, "-quiet"}); err != nil {
		t.Fatal(err)
	}
	_, info, err := readRun(run)
	if err != nil {
		t.Fatal(err)
	}
	tr := info.Transform
	if !slices.Equal(info.Classes, []string{"cats", "dogs"}) || tr.ResizeShorter != 36 || tr.Height != 32 || tr.Width != 32 || tr.Channels != 3 {
		t.Fatalf("model.json: %+v", info)
	}
	join := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	}
	image := filepath.Join(folder, "dogs", "3.png")
	refs := torchvisionTop5(t, py, "resnet18", filepath.Join(run, modelFile), "2", "36", "32", join(tr.Mean), join(tr.Std), image)
	var stdout, stderr bytes.Buffer
	if err := predictCommand([]string{"-run", run, "-json", image}, &stdout, &stderr); err != nil {
		t.Fatalf("%v: %s", err, stderr.String())
	}
	checkTop5(t, stdout.String(), refs, []string{image})
	if !strings.Contains(stdout.String(), `"class":"dogs"`) {
		t.Errorf("no class name in %s", stdout.String())
	}
}

func TestPredictBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-model", "resnet18", "-weights", "x.pth"}, "no images"},
		{[]string{"-model", "resnet18", "a.png"}, "-model NAME and -weights FILE"},
		{[]string{"-model", "lenet", "-weights", "x.pth", "a.png"}, "flag -model"},
		{[]string{"-run", "r", "-model", "resnet18", "a.png"}, "flag -model: with -run"},
		{[]string{"-run", filepath.Join(t.TempDir(), "none"), "a.png"}, "flag -run"},
		{[]string{"-topk", "0", "-run", "r", "a.png"}, "flag -topk"},
		{[]string{"-model", "resnet18", "-weights", filepath.Join(t.TempDir(), "none.pth"), "a.png"}, "none.pth"},
	} {
		var out bytes.Buffer
		err := predictCommand(c.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error with %q", c.args, err, c.want)
		}
	}
}
