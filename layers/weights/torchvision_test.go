package weights

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
)

// pythonWithTorch finds a Python that imports torch and torchvision, or skips.
func pythonWithTorch(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import torch, torchvision").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with torch and torchvision (Debian: python3-torch, python3-torchvision)")
	return ""
}

// TestRealSizeTorchvision: a real-size torchvision model with random weights,
// saved by torch.save, loads by name and gives torchvision's evaluation
// logits at 224×224 in float32, with the same top-5 classes.
func TestRealSizeTorchvision(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real-size networks")
	}
	py := pythonWithTorch(t)
	for _, arch := range []string{"resnet18", "mobilenet_v2"} {
		t.Run(arch, func(t *testing.T) {
			dir := t.TempDir()
			out, err := exec.Command(py, "testdata/torchvision_reference.py", arch, dir).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "reference.json"))
			if err != nil {
				t.Fatal(err)
			}
			var ref struct {
				Input, Logits []float64
				Classes       int
			}
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatal(err)
			}
			net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: arch, Classes: ref.Classes})
			if err != nil {
				t.Fatal(err)
			}
			m, err := layers.Build(net, []int{2, 3, 224, 224}, tensor.Float32, 1)
			if err != nil {
				t.Fatal(err)
			}
			r, err := LoadFile(m, filepath.Join(dir, "model.pth"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Loaded) != len(m.Params) {
				t.Fatalf("%d of %d tensors loaded", len(r.Loaded), len(m.Params))
			}
			x, labels := graph.NewBuffer(tensor.Float32, 2, 3, 224, 224), graph.NewBuffer(tensor.Float32, 2)
			for i, v := range ref.Input {
				x.F32[i] = float32(v)
			}
			_, _, logits, err := graph.NewMachine(m, graph.CPU{}).Evaluate(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range ref.Logits {
				if d := float64(logits.F32[i]) - want; d > 1e-4+1e-3*abs(want) || -d > 1e-4+1e-3*abs(want) {
					t.Fatalf("logit %d = %v, torchvision %v", i, logits.F32[i], want)
				}
			}
			for row := range 2 {
				got := top5(logits.F32[row*ref.Classes : (row+1)*ref.Classes])
				want := top5(toF32(ref.Logits[row*ref.Classes : (row+1)*ref.Classes]))
				if !slices.Equal(got, want) {
					t.Errorf("image %d: top-5 %v, torchvision %v", row, got, want)
				}
			}
		})
	}
}

func abs(v float64) float64 { return max(v, -v) }

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// top5 is the indices of the five largest values, largest first.
func top5(v []float32) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] > v[b]:
			return -1
		case v[a] < v[b]:
			return 1
		}
		return 0
	})
	return idx[:5]
}
