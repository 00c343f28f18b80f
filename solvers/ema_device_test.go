package solvers_test

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
)

// TestEMAOnDeviceMatchesHost updates an EMA of a resident model on the device
// (one fused launch per update) and one of a host mirror of the parameters,
// through the warm-up, and requires equal averages, bit for bit; the state
// tensors stay the model's.
func TestEMAOnDeviceMatchesHost(t *testing.T) { checkEMAOnDevice(t, testDevice) }

func checkEMAOnDevice(t *testing.T, dev func(t *testing.T) backendMaker) {
	m, b, _, _ := deviceModel(t, dev)
	var mirror []*graph.Param
	for _, p := range m.Params {
		q := &graph.Param{Name: p.Name, Kind: p.Kind, Value: graph.NewBuffer(p.Value.Dtype(), p.Value.Shape...)}
		q.Value.CopyFrom(p.Value)
		if p.Grad != nil {
			q.Grad = graph.NewBuffer(p.Value.Dtype(), p.Value.Shape...)
		}
		mirror = append(mirror, q)
	}
	onDevice, err := solvers.NewEMA(m.Params, 0.999, true)
	if err != nil {
		t.Fatal(err)
	}
	onHost, err := solvers.NewEMA(mirror, 0.999, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := onDevice.OnDevice(b); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for step := 0; step < 5; step++ {
		// Stand-in for an optimizer step: new values on both sides.
		for k, p := range m.Params {
			for i := range p.Value.F32 {
				p.Value.F32[i] += float32(0.1 * rng.NormFloat64())
			}
			copy(mirror[k].Value.F32, p.Value.F32)
		}
		if err := b.PushParams(); err != nil {
			t.Fatal(err)
		}
		if err := onDevice.Update(); err != nil {
			t.Fatal(err)
		}
		if err := onHost.Update(); err != nil {
			t.Fatal(err)
		}
	}
	if err := onDevice.Pull(); err != nil {
		t.Fatal(err)
	}
	if got, want := onDevice.State(), onHost.State(); !reflect.DeepEqual(got, want) {
		t.Fatalf("device EMA %+v, host EMA %+v", got, want)
	}
	got, want := onDevice.Weights(), onHost.Weights()
	for k := range got {
		if !reflect.DeepEqual(got[k].Value.F32, want[k].Value.F32) {
			t.Fatalf("%s: device EMA weights %v, host %v", got[k].Name, got[k].Value.F32, want[k].Value.F32)
		}
	}
	// A restored state goes up to the device.
	st := onHost.State()
	if err := onDevice.SetState(st); err != nil {
		t.Fatal(err)
	}
	if err := onDevice.OnHost(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(onDevice.State(), st) {
		t.Fatal("the state restored on the device did not come back")
	}
}
