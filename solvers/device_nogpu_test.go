//go:build !gpu

package solvers_test

import (
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/kernels/cudaemu"
)

// testDevice makes backends on the CPU emulation of the CUDA kernels; without
// a C++ compiler the test is skipped.
func testDevice(t *testing.T) backendMaker {
	emu := cudaemu.Shared(t, "../kernels")
	return func(m *graph.Model) (graph.ResidentBackend, error) { return graph.NewDeviceBackend(emu, m) }
}
