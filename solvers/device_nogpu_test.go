//go:build !gpu

package solvers_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/descent-ml/descent/graph"
	cudaemu "github.com/descent-ml/descent/kernels/cuda_emu"
)

var emulator struct {
	sync.Once
	emu *cudaemu.Emulator
	err error
}

// testDevice makes backends on the CPU emulation of the CUDA kernels, shared
// by the tests; without a C++ compiler the test is skipped.
func testDevice(t *testing.T) backendMaker {
	t.Helper()
	emulator.Do(func() { emulator.emu, emulator.err = cudaemu.Start("../kernels") })
	if errors.Is(emulator.err, cudaemu.ErrNoCompiler) {
		t.Skip(emulator.err.Error())
	}
	if emulator.err != nil {
		t.Fatal(emulator.err)
	}
	return func(m *graph.Model) (graph.ResidentBackend, error) { return graph.NewDeviceBackend(emulator.emu, m) }
}
