package main

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// newBackend returns the backend for -device, for model m. The CPU build has
// no GPU backend: graph.NewCUDA then says to rebuild with -tags gpu.
func newBackend(device string, m *graph.Model) (graph.Backend, error) {
	switch device {
	case "cpu":
		return graph.CPU{}, nil
	case "gpu":
		return openGPU(m)
	}
	return nil, fmt.Errorf("unknown device %q (want cpu or gpu)", device)
}

// enableTF32 lets the GPU backend's matrix products use TF32 tensor cores
// (-tf32).
func enableTF32(b graph.Backend) error {
	t, ok := b.(interface{ SetTF32(on bool) error })
	if !ok {
		return fmt.Errorf("TF32 is a GPU setting; add -device gpu")
	}
	return t.SetTF32(true)
}

// openGPU opens GPU 0 for m; tests of the CPU build put the CPU emulation of
// the CUDA kernels in its place, to run the device path of the command.
var openGPU = func(m *graph.Model) (graph.Backend, error) {
	b, err := graph.NewCUDA(m, 0)
	if err != nil {
		return nil, err
	}
	return b, nil
}
