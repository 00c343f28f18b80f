//go:build gpu

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/trainer"
)

// These tests run -device gpu on GPU 0: on a GPU host, or in CI on the CPU test
// doubles of libcuda and cuBLAS (kernels/cudaemu/driver), which alone can
// fail driver calls on demand.

// onStandIn skips the test unless GPU 0 is the libcuda test double.
func onStandIn(t *testing.T) {
	t.Helper()
	d, err := cuda.Open(0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !strings.Contains(d.Name, "stand-in") {
		t.Skipf("%s is not the libcuda test double: it injects no faults", d.Name)
	}
}

// trainIn trains with args into a new folder and returns the folder and the
// final metrics.
func trainIn(t *testing.T, args ...string) (string, recipe.FinalMetrics) {
	t.Helper()
	dir := t.TempDir()
	if err := dispatch(append([]string{"-out", dir, "-quiet"}, args...)); err != nil {
		t.Fatal(err)
	}
	return dir, readFinal(t, dir)
}

func readFinal(t *testing.T, dir string) recipe.FinalMetrics {
	t.Helper()
	var f recipe.FinalMetrics
	if err := json.Unmarshal([]byte(lastLine(t, filepath.Join(dir, "metrics.jsonl"))), &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// smallMLP is a run that takes seconds on the test doubles.
var smallMLP = []string{"-subset", "640", "-split", "8:1:1", "-batch", "64", "-eval-batch", "500", "-model", "mlp",
	"-depth", "1", "-width", "16", "-norm", "none", "-dropout", "0", "-schedule", "none"}

// TestTrainOnGPUMatchesCPU trains the same small model on the CPU and on GPU 0:
// the test losses agree within 1e-3.
func TestTrainOnGPUMatchesCPU(t *testing.T) {
	_, cpu := trainIn(t, append([]string{"-epochs", "2"}, smallMLP...)...)
	_, gpu := trainIn(t, append([]string{"-epochs", "2", "-device", "gpu"}, smallMLP...)...)
	if math.Abs(float64(gpu.TestLoss-cpu.TestLoss)) > 1e-3 || math.Abs(float64(gpu.TestAcc-cpu.TestAcc)) > 0.01 {
		t.Errorf("GPU: test loss %v, accuracy %v; CPU: %v, %v", gpu.TestLoss, gpu.TestAcc, cpu.TestLoss, cpu.TestAcc)
	}
}

// TestDefaultMNISTOnGPU trains the default LeNet on a 640-image subset for one
// epoch on the CPU and on GPU 0: the test losses agree within 1e-3. On the
// test doubles it takes minutes (the whole test set goes through the emulated
// convolutions), so CI skips it.
func TestDefaultMNISTOnGPU(t *testing.T) {
	_, cpu := trainIn(t, "-subset", "640", "-epochs", "1")
	_, gpu := trainIn(t, "-subset", "640", "-epochs", "1", "-device", "gpu")
	if math.Abs(float64(gpu.TestLoss-cpu.TestLoss)) > 1e-3 {
		t.Errorf("GPU: test loss %v; CPU: %v", gpu.TestLoss, cpu.TestLoss)
	}
}

// TestDriverFaultKeepsTheLastCheckpoint trains one epoch, then resumes for a
// second one during which a launch of the training step's CUDA graph (which
// holds the optimizer's update too) fails: the run ends with one line naming
// the CUDA error, not divergence, the first epoch's checkpoint is untouched,
// and resuming from it ends exactly like the uninterrupted run.
func TestDriverFaultKeepsTheLastCheckpoint(t *testing.T) {
	onStandIn(t)
	_, uninterrupted := trainIn(t, append([]string{"-epochs", "2", "-device", "gpu"}, smallMLP...)...)
	dir, _ := trainIn(t, append([]string{"-epochs", "1", "-device", "gpu"}, smallMLP...)...)
	checkpoint := filepath.Join(dir, checkpointFile)
	saved, err := os.ReadFile(checkpoint)
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("DESCENT_CUDA_FAULT", "cuGraphLaunch:CUDA_ERROR_ILLEGAL_ADDRESS:4")
	err = dispatch([]string{"-resume", dir, "-epochs", "2", "-quiet"})
	if err == nil || !strings.Contains(err.Error(), "epoch 2, batch ") ||
		!strings.Contains(err.Error(), "cuGraphLaunch: CUDA_ERROR_ILLEGAL_ADDRESS (700)") ||
		strings.Contains(err.Error(), "\n") || errors.Is(err, trainer.ErrDiverged) {
		t.Fatalf("training through a failed launch: %v; want one line naming CUDA_ERROR_ILLEGAL_ADDRESS in epoch 2", err)
	}
	t.Logf("the failed run: %v", err)
	if now, err := os.ReadFile(checkpoint); err != nil || !bytes.Equal(now, saved) {
		t.Fatalf("the checkpoint changed in the failed run (%v)", err)
	}

	t.Setenv("DESCENT_CUDA_FAULT", "")
	if err := dispatch([]string{"-resume", dir, "-epochs", "2", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	if resumed := readFinal(t, dir); resumed.TestLoss != uninterrupted.TestLoss || resumed.TestAcc != uninterrupted.TestAcc {
		t.Errorf("resumed after the fault: test loss %v, accuracy %v; uninterrupted: %v, %v",
			resumed.TestLoss, resumed.TestAcc, uninterrupted.TestLoss, uninterrupted.TestAcc)
	}
}

// TestNoUsableDriverIsOneLine starts this test binary again with cuInit
// failing: it must stop at once with one line that names the CUDA error.
func TestNoUsableDriverIsOneLine(t *testing.T) {
	onStandIn(t)
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "DESCENT_CUDA_FAULT=cuInit:CUDA_ERROR_NO_DEVICE")
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err == nil || len(lines) != 1 || !strings.Contains(lines[0], "cuInit: CUDA_ERROR_NO_DEVICE (100") {
		t.Fatalf("without a usable driver: %v, output %q; want one line naming CUDA_ERROR_NO_DEVICE", err, out)
	}
}
