package recipe

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/trainer"
)

// NewBackend returns the backend for -device, for model m. The CPU build has
// no GPU backend: opening one says to rebuild with -tags gpu.
func NewBackend(device string, m *graph.Model) (graph.Backend, error) {
	switch device {
	case "cpu":
		return graph.CPU{}, nil
	case "gpu":
		return OpenGPU(m)
	}
	return nil, fmt.Errorf("unknown device %q (want cpu or gpu)", device)
}

// EnableTF32 lets the GPU backend's matrix products use TF32 tensor cores
// (-tf32).
func EnableTF32(b graph.Backend) error {
	t, ok := b.(interface{ SetTF32(on bool) error })
	if !ok {
		return fmt.Errorf("TF32 is a GPU setting; add -device gpu")
	}
	return t.SetTF32(true)
}

// OpenGPU opens GPU 0 for m; tests of the CPU build put the CPU emulation of
// the CUDA kernels in its place, to run the device path of the command.
var OpenGPU = func(m *graph.Model) (graph.Backend, error) { return trainer.OpenDevice("gpu", m) }
