//go:build !gpu

package cudaemu

import (
	"strings"
	"testing"

	"github.com/descent-ml/descent/kernels/launch"
)

// startTarget starts the emulator on the repository's kernels.
func startTarget() (testTarget, func() error, error) {
	e, err := Start("..")
	if err != nil {
		return nil, nil, err
	}
	return e, e.Close, nil
}

func TestLaunchErrors(t *testing.T) {
	d := newDevice(t)
	x := d.alloc(4)
	l := launch.ReluForward(x, x, 4)
	l.Args = l.Args[:2]
	if err := d.emu.Launch(l); err == nil || !strings.Contains(err.Error(), "takes 3 arguments, got 2") {
		t.Fatalf("launch with a missing argument: %v", err)
	}
	l = launch.ReluForward(x, x, 4)
	l.Kernel = "NoSuchKernel"
	if err := d.emu.Launch(l); err == nil || !strings.Contains(err.Error(), "no kernel named NoSuchKernel") {
		t.Fatalf("launch of an unknown kernel: %v", err)
	}
}
