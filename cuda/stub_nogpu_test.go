//go:build !gpu

package cuda

import (
	"errors"
	"testing"
)

func TestCPUBuildHasNoGPU(t *testing.T) {
	if _, err := Open(0); !errors.Is(err, ErrNoGPU) {
		t.Errorf("Open: %v, want ErrNoGPU", err)
	}
	if _, err := DeviceCount(); !errors.Is(err, ErrNoGPU) {
		t.Errorf("DeviceCount: %v, want ErrNoGPU", err)
	}
	if want := "built without GPU support: rebuild with -tags gpu"; ErrNoGPU.Error() != want {
		t.Errorf("ErrNoGPU says %q", ErrNoGPU)
	}
}
