//go:build !gpu

package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/kernels/cudaemu"
)

// TestTrainOnDevice runs the command's device path (-device gpu) on the CPU
// emulation of the CUDA kernels: parameters and optimizer on the device,
// checkpoints read back from it. The run must agree with the same run on the
// CPU, and a run stopped after its first epoch and resumed must end exactly
// like the uninterrupted one.
func TestTrainOnDevice(t *testing.T) {
	emu := cudaemu.Shared(t, "../../kernels")
	saved := recipe.OpenGPU
	defer func() { recipe.OpenGPU = saved }()
	recipe.OpenGPU = func(m *graph.Model) (graph.Backend, error) {
		b, err := graph.NewDeviceBackend(emu, m)
		if err != nil {
			return nil, err
		}
		return b, nil
	}

	args := []string{"-subset", "640", "-split", "8:1:1", "-batch", "64", "-eval-batch", "500", "-model", "mlp",
		"-depth", "1", "-width", "16", "-norm", "batch", "-dropout", "0.2", "-schedule", "none", "-clip-norm", "5", "-quiet"}
	run := func(dir string, extra ...string) recipe.FinalMetrics {
		t.Helper()
		if err := dispatch(append(append([]string{"-out", dir}, args...), extra...)); err != nil {
			t.Fatal(err)
		}
		var f recipe.FinalMetrics
		if err := json.Unmarshal([]byte(lastLine(t, filepath.Join(dir, "metrics.jsonl"))), &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
	cpu := run(t.TempDir(), "-epochs", "2")
	device := run(t.TempDir(), "-epochs", "2", "-device", "gpu")
	if math.Abs(float64(device.TestLoss-cpu.TestLoss)) > 1e-2*float64(cpu.TestLoss) || math.Abs(float64(device.TestAcc-cpu.TestAcc)) > 0.02 {
		t.Errorf("device: test loss %v, accuracy %v; CPU: %v, %v", device.TestLoss, device.TestAcc, cpu.TestLoss, cpu.TestAcc)
	}

	stopped := t.TempDir()
	run(stopped, "-epochs", "1", "-device", "gpu")
	if err := dispatch([]string{"-resume", stopped, "-epochs", "2", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	var resumed recipe.FinalMetrics
	if err := json.Unmarshal([]byte(lastLine(t, filepath.Join(stopped, "metrics.jsonl"))), &resumed); err != nil {
		t.Fatal(err)
	}
	if resumed.TestLoss != device.TestLoss || resumed.TestAcc != device.TestAcc {
		t.Errorf("resumed on the device: test loss %v, accuracy %v; uninterrupted: %v, %v",
			resumed.TestLoss, resumed.TestAcc, device.TestLoss, device.TestAcc)
	}
}
