package solvers_test

import (
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/cgocheck"
)

// TestDeviceTransfersPassCgoCheck runs device training steps (the backend's
// run, the optimizer's finiteness check and clipping by norm, its state going
// up and down) with every host buffer of every transfer handed to C the way
// gorgonia.org/cu hands it to the driver, so that a buffer inside a Go object
// holding pointers fails here as it would on a GPU. The device does no work,
// so no compiler is needed.
func TestDeviceTransfersPassCgoCheck(t *testing.T) {
	if !cgocheck.Enabled {
		t.Skip("built without cgo: no pointer check")
	}
	checked := func(*testing.T) backendMaker {
		return func(m *graph.Model) (graph.ResidentBackend, error) {
			return graph.NewDeviceBackend(cgocheck.Device{Device: &nullDevice{next: 256}}, m)
		}
	}
	m, b, x, labels := deviceModel(t, checked)
	opt := newGroupedOptimizer(t, "adam", nil, m.Params)
	if err := opt.OnDevice(b); err != nil {
		t.Fatal(err)
	}
	mc := graph.NewMachine(m, b)
	for range 2 {
		if _, _, err := mc.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
		if err := opt.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := opt.State(); err != nil { // the state comes down
		t.Fatal(err)
	}
	if err := b.PullParams(); err != nil {
		t.Fatal(err)
	}
}
