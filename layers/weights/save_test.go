package weights

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/layers"
)

// TestWriteSafetensors: a written state_dict reads back with every value, and
// with the num_batches_tracked counters that torchvision's strict loading
// expects; torchvision itself loads it strictly when python3-torch is here.
func TestWriteSafetensors(t *testing.T) {
	net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: "mobilenet_v2", Width: 0.25, Classes: 5})
	if err != nil {
		t.Fatal(err)
	}
	m, err := layers.Build(net, []int{1, 3, 32, 32}, tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ReadFile(goldenWeights("mobilenet_v2_q.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Load(m, src, Options{}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSafetensors(&buf, m.Params, 7); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSafetensors(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	wantNames := slices.Clone(src.Names)
	gotNames := slices.Clone(back.Names)
	slices.Sort(wantNames)
	slices.Sort(gotNames)
	if !slices.Equal(gotNames, wantNames) {
		t.Fatalf("written keys differ from torchvision's state_dict: %d vs %d", len(gotNames), len(wantNames))
	}
	for _, name := range src.Names {
		got, want := back.Tensors[name], src.Tensors[name]
		if !slices.Equal(got.Shape, want.Shape) {
			t.Fatalf("%s: shape %v, want %v", name, got.Shape, want.Shape)
		}
		for i := range want.Len() {
			w := want.At(i)
			if want.Dtype == "I64" {
				w = 7
			}
			if got.At(i) != w {
				t.Fatalf("%s[%d] = %v, want %v", name, i, got.At(i), w)
			}
		}
	}

	if testing.Short() {
		t.Skip("torchvision's own check runs Python")
	}
	py := pythonWithTorch(t)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, "testdata/strict_load.py", path, "mobilenet_v2", "0.25", "5").CombinedOutput(); err != nil {
		t.Fatalf("torchvision's strict load: %v: %s", err, out)
	}
}
