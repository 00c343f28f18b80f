//go:build !gpu

package graph

import (
	"testing"

	"github.com/descent-ml/descent/internal/cgocheck"
)

// TestDeviceTransfersPassCgoCheck runs the CPU comparison, captured graphs
// included, with every host buffer of every transfer handed to C the way
// gorgonia.org/cu hands it to the driver: a buffer inside a Go object that
// holds pointers (the program's state, say) fails here as it would on a GPU.
func TestDeviceTransfersPassCgoCheck(t *testing.T) {
	if !cgocheck.Enabled {
		t.Skip("built without cgo: no pointer check")
	}
	checkAgainstCPU(t, &recorder{deviceRuntime: cgocheck.Device{Device: testRuntime(t)}})
}
