package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMeasureAndReports measures two tiny cells and checks every report format.
func TestMeasureAndReports(t *testing.T) {
	cells := Matrix([]string{"mlp"}, []string{"sgd", "adam"}, []string{"input"}, "cpu", map[string]int{"mlp": 8})
	var results []Result
	for _, c := range cells {
		r, err := Measure(c, CPU, Options{Steps: 2, Warmup: 1, Repeats: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Repeats) != 2 || r.ImagesPerSec <= 0 {
			t.Fatalf("%+v", r)
		}
		results = append(results, r)
	}
	dir := t.TempDir()
	if err := WriteJSON(filepath.Join(dir, "b.json"), results); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "b.json"))
	var records []map[string]any
	if err := json.Unmarshal(raw, &records); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"model", "optimizer", "normalization", "device", "batch", "images_per_sec", "repeats"} {
		if _, ok := records[0][key]; !ok {
			t.Errorf("JSON record has no %q: %s", key, raw)
		}
	}
	if err := WriteCSV(filepath.Join(dir, "b.csv"), results); err != nil {
		t.Fatal(err)
	}
	if err := WriteBarChart(filepath.Join(dir, "b.png"), results); err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if err := WriteTable(&sb, results); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "adam") {
		t.Errorf("table has no adam row:\n%s", sb.String())
	}
	// A repeat of 2 steps is far shorter than a second: MinRepeat lengthens it.
	long, err := Measure(cells[0], CPU, Options{Steps: 2, Warmup: 1, Repeats: 1, MinRepeat: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Steps != 2 || long.Steps <= 2 {
		t.Errorf("steps per repeat: %d without MinRepeat (want 2), %d with a second (want more)", results[0].Steps, long.Steps)
	}
	if _, err := Measure(Cell{Model: "vgg", Optimizer: "sgd", Batch: 1}, CPU, Quick); err == nil {
		t.Error("unknown model accepted")
	}
}

// BenchmarkTrainStep is the throughput matrix as go test benchmarks: MLP,
// LeNet and the small ResNet × every optimizer × every normalization, images/s
// per cell.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range Matrix([]string{"mlp", "lenet", "resnet"}, Optimizers, Normalizations, "cpu", map[string]int{"mlp": 64, "lenet": 64, "resnet": 256}) {
		b.Run(c.Model+"/"+c.Optimizer+"/"+c.Normalization, func(b *testing.B) {
			r, err := Measure(c, CPU, Options{Steps: b.N, Warmup: 1, Repeats: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(r.ImagesPerSec, "images/s")
		})
	}
}

// TestTorchvisionCells: the torchvision models are cells of the matrix on
// both sides: Descent's layers.Torchvision and torchvision's own network in
// the PyTorch script (when Debian's torch is there), at 224×224.
func TestTorchvisionCells(t *testing.T) {
	if testing.Short() {
		t.Skip("trains real-size networks")
	}
	models := []string{"resnet18", "resnet50", "mobilenet_v2"}
	cells := Matrix(models, []string{"sgd"}, []string{"batch"}, "cpu", map[string]int{"resnet18": 2, "resnet50": 2, "mobilenet_v2": 2})
	one := Options{Steps: 1, Repeats: 1}
	for _, c := range cells {
		if r, err := Measure(c, CPU, one); err != nil || !(r.ImagesPerSec > 0) {
			t.Errorf("%s: %v, %+v", c.Model, err, r)
		}
	}
	if _, err := Python(); err != nil {
		t.Logf("PyTorch side not run: %v", err)
		return
	}
	for _, c := range cells {
		cmp, err := Compare(c, CPU, one, []TorchConfig{{Threads: 1, BLASThreads: 1}}, PyTorchScript())
		if err != nil {
			t.Fatal(err)
		}
		if r := cmp.Best().Repeats; len(r) != 1 || !(r[0] > 0) {
			t.Errorf("PyTorch side of %s: %+v", c.Model, cmp.PyTorch)
		}
	}
}
