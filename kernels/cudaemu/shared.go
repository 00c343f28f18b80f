package cudaemu

import (
	"errors"
	"sync"
	"testing"
)

var sharedEmulator struct {
	sync.Once
	emu *Emulator
	err error
}

// Shared is the emulator for tests of other packages: started on first use
// from kernelsDir and shared by every test of the process (the driver ends
// with it). Without a C++ compiler it skips the test, saying why; any other failure
// to start fails the test.
func Shared(t testing.TB, kernelsDir string) *Emulator {
	t.Helper()
	sharedEmulator.Do(func() { sharedEmulator.emu, sharedEmulator.err = Start(kernelsDir) })
	if errors.Is(sharedEmulator.err, ErrNoCompiler) {
		t.Skip(sharedEmulator.err.Error())
	}
	if sharedEmulator.err != nil {
		t.Fatal(sharedEmulator.err)
	}
	return sharedEmulator.emu
}
