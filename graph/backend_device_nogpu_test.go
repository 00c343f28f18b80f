//go:build !gpu

package graph

import (
	"errors"
	"sync"
	"testing"

	cudaemu "github.com/descent-ml/descent/kernels/cuda_emu"
)

var emulator struct {
	sync.Once
	emu *cudaemu.Emulator
	err error
}

// testRuntime is the CPU emulation of the CUDA kernels, shared by the tests;
// without a C++ compiler the test is skipped.
func testRuntime(t *testing.T) deviceRuntime {
	t.Helper()
	emulator.Do(func() { emulator.emu, emulator.err = cudaemu.Start("../kernels") })
	if errors.Is(emulator.err, cudaemu.ErrNoCompiler) {
		t.Skip(emulator.err.Error())
	}
	if emulator.err != nil {
		t.Fatal(emulator.err)
	}
	return emulator.emu
}
