package trainer_test

import (
	"context"
	"errors"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/kernels/cudaemu"
	"github.com/descent-ml/descent/kernels/launch"
	"github.com/descent-ml/descent/trainer"
)

var errLaunchFailed = errors.New("cuLaunchKernel: CUDA_ERROR_ILLEGAL_ADDRESS (700)")

// failingDevice is the emulated device whose launches and copies fail once
// failing is set, as a GPU's do after an illegal address.
type failingDevice struct {
	launch.Device
	failing bool
}

func (d *failingDevice) Launch(l cuda.Launch) error {
	if d.failing {
		return errLaunchFailed
	}
	return d.Device.Launch(l)
}

func (d *failingDevice) Gemm(g cuda.ColMajor, alpha, beta float32) error {
	if d.failing {
		return errLaunchFailed
	}
	return d.Device.Gemm(g, alpha, beta)
}

func (d *failingDevice) Upload(dst cuda.Ptr, src []float32) error {
	if d.failing {
		return errLaunchFailed
	}
	return d.Device.Upload(dst, src)
}

// TestDeviceErrorIsNotDivergence: a device call of the optimizer's update
// that fails (here right after the gradient hook of step 2) ends Fit with
// that error, not with ErrDiverged.
func TestDeviceErrorIsNotDivergence(t *testing.T) {
	dev := &failingDevice{Device: cudaemu.Shared(t, "../kernels")}
	r := newRun(t, func(m *graph.Model) (graph.Backend, error) { return graph.NewDeviceBackend(dev, m) })
	r.t.OnGradients(func(s trainer.StepInfo) error {
		dev.failing = s.Iteration == 2
		return nil
	})
	err := r.t.Fit(context.Background(), 1)
	if !errors.Is(err, errLaunchFailed) || errors.Is(err, trainer.ErrDiverged) {
		t.Fatalf("Fit through a failed update: %v; want the device's error, not ErrDiverged", err)
	}
	t.Logf("the failed run: %v", err)
}
