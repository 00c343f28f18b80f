package solvers_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
)

// The device optimizer is checked against the host optimizer on the same
// gradients: the model trains on the device (the CPU emulation of the CUDA
// kernels, or with -tags gpu the GPU), and after each backward pass the
// device's gradients are handed to a host optimizer over a mirror of the
// parameters; both update, and the parameters and states must agree.

// backendMaker makes the device backend of a model.
type backendMaker func(*graph.Model) (graph.ResidentBackend, error)

// deviceModel is an MLP with batch norm and dropout on 8 inputs of 1×3×4, and
// its resident backend on the test device.
func deviceModel(t *testing.T, dev func(t *testing.T) backendMaker) (*graph.Model, graph.ResidentBackend, *graph.Buffer, *graph.Buffer) {
	t.Helper()
	m, err := layers.Build(layers.MLP(layers.MLPConfig{Inputs: 12, Classes: 4, Depth: 2, Width: 10, BatchNorm: true, Dropout: 0.2}),
		[]int{8, 1, 3, 4}, tensor.Float32, 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := dev(t)(m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	rng := rand.New(rand.NewPCG(5, 6))
	x, labels := graph.NewBuffer(tensor.Float32, 8, 1, 3, 4), graph.NewBuffer(tensor.Float32, 8)
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64())
	}
	for i := range labels.F32 {
		labels.F32[i] = float32(rng.IntN(4))
	}
	return m, b, x, labels
}

// groupsOf splits the trainable parameters into the weights and the rest,
// leaving out.bias to no group.
func groupsOf(params []*graph.Param) (weights, others []*graph.Param) {
	for _, p := range params {
		switch {
		case !p.Trainable() || p.Name == "out.bias":
		case p.Kind == graph.Weight:
			weights = append(weights, p)
		default:
			others = append(others, p)
		}
	}
	return weights, others
}

// newGroupedOptimizer is name with opts over the weights (L1 and L2 on them)
// and the other parameters at half the learning rate without penalties.
func newGroupedOptimizer(t *testing.T, name string, opts map[string]any, params []*graph.Param) *solvers.Optimizer {
	t.Helper()
	all := map[string]any{"l1": 1e-3, "l2": 1e-2, "clip_grad_value": 0.5, "clip_grad_norm": 1.0}
	for k, v := range opts {
		all[k] = v
	}
	o, err := solvers.New(name, all)
	if err != nil {
		t.Fatal(err)
	}
	weights, others := groupsOf(params)
	if err := o.AddGroup(weights, nil); err != nil {
		t.Fatal(err)
	}
	if err := o.AddGroup(others, map[string]any{"lr": o.LR(0) / 2, "l1": 0.0, "l2": 0.0}); err != nil {
		t.Fatal(err)
	}
	return o
}

// mirror copies parameters into new buffers.
func mirror(params []*graph.Param) []*graph.Param {
	var out []*graph.Param
	for _, p := range params {
		c := &graph.Param{Name: p.Name, Kind: p.Kind, Value: graph.NewBuffer(tensor.Float32, p.Value.Shape...)}
		c.Value.CopyFrom(p.Value)
		if p.Grad != nil {
			c.Grad = graph.NewBuffer(tensor.Float32, p.Grad.Shape...)
		}
		out = append(out, c)
	}
	return out
}

// trainGradientsToHost trains one step of mc on the device backend b and
// copies the gradients of params into host, their mirror, for a host
// optimizer.
func trainGradientsToHost(t *testing.T, mc *graph.Machine, b graph.ResidentBackend, x, labels *graph.Buffer, params, host []*graph.Param) {
	t.Helper()
	if _, _, err := mc.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	if err := b.PullParams(); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		if p.Grad != nil {
			host[i].Grad.CopyFrom(p.Grad)
		}
	}
}

// checkSameParams pulls the device's parameters and compares each trainable
// one of params with its mirror in host after step.
func checkSameParams(t *testing.T, b graph.ResidentBackend, params, host []*graph.Param, step int) {
	t.Helper()
	if err := b.PullParams(); err != nil {
		t.Fatal(err)
	}
	for i, p := range params {
		if p.Trainable() {
			closeTo(t, fmt.Sprintf("%s at step %d", p.Name, step), p.Value.F32, host[i].Value.F32, 1e-5)
		}
	}
}

func closeTo(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*(1+math.Abs(float64(want[i])))) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestDeviceOptimizerMatchesHost(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]any
	}{
		{"sgd", map[string]any{"lr": 0.1, "momentum": 0.9, "nesterov": true, "weight_decay": 1e-3}},
		{"sgd", map[string]any{"lr": 0.05}},
		{"adagrad", map[string]any{"lr": 0.05, "lr_decay": 0.01, "weight_decay": 1e-3}},
		{"adadelta", map[string]any{"weight_decay": 1e-3}},
		{"rmsprop", map[string]any{"lr": 0.01, "centered": true, "momentum": 0.9}},
		{"adam", map[string]any{"lr": 0.01, "amsgrad": true, "weight_decay": 1e-3}},
		{"adamw", map[string]any{"lr": 0.01}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, b, x, labels := deviceModel(t, testDevice)
			host := mirror(m.Params)
			frozen := append([]float32(nil), param(m.Params, "out.bias").Value.F32...)
			devOpt := newGroupedOptimizer(t, c.name, c.opts, m.Params)
			hostOpt := newGroupedOptimizer(t, c.name, c.opts, host)
			if err := devOpt.OnDevice(b); err != nil {
				t.Fatal(err)
			}
			mc := graph.NewMachine(m, b)
			for step := 1; step <= 3; step++ {
				trainGradientsToHost(t, mc, b, x, labels, m.Params, host)
				for g := range 2 { // a schedule between steps
					devOpt.SetLR(g, devOpt.LR(g)*0.7)
					hostOpt.SetLR(g, hostOpt.LR(g)*0.7)
				}
				if err := errors.Join(hostOpt.Step(), devOpt.Step()); err != nil {
					t.Fatal(err)
				}
				checkSameParams(t, b, m.Params, host, step)
			}
			if got := param(m.Params, "out.bias").Value.F32; !equal(got, frozen) {
				t.Errorf("out.bias, in no group, changed: %v, was %v", got, frozen)
			}
			devState, err := devOpt.State()
			if err != nil {
				t.Fatal(err)
			}
			hostState, err := hostOpt.State()
			if err != nil {
				t.Fatal(err)
			}
			for g, gs := range hostState.Groups {
				for i, ps := range gs.Params {
					dps := devState.Groups[g].Params[i]
					if dps.Step != ps.Step || dps.Step != 3 {
						t.Errorf("%s: step %d on the device, %d on the host, want 3", ps.Name, dps.Step, ps.Step)
					}
					for name, buf := range ps.Buffers {
						closeTo(t, ps.Name+" "+name, dps.Buffers[name].F32, buf.F32, 1e-5)
					}
				}
			}
		})
	}
}

// TestDeviceOptimizerRejectsNonFinite puts a NaN into one gradient on the
// device: Step reports that parameter and changes nothing; a NaN in the
// gradient of a parameter outside the optimizer does not stop the step.
func TestDeviceOptimizerRejectsNonFinite(t *testing.T) {
	m, b, x, labels := deviceModel(t, testDevice)
	opt := newGroupedOptimizer(t, "adam", map[string]any{"skip_nonfinite": true}, m.Params)
	if err := opt.OnDevice(b); err != nil {
		t.Fatal(err)
	}
	mc := graph.NewMachine(m, b)
	if _, _, err := mc.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	// poison puts a NaN into a gradient on the device, through the host.
	poison := func(name string) {
		if err := b.PullParams(); err != nil {
			t.Fatal(err)
		}
		param(m.Params, name).Grad.F32[1] = float32(math.NaN())
		if err := b.PushParams(); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.PullParams(); err != nil {
		t.Fatal(err)
	}
	before := mirror(m.Params)
	poison("fc2.weight")
	err := opt.Step()
	var nf *solvers.NonFiniteError
	if !errors.As(err, &nf) || nf.Param != "fc2.weight" || !nf.Skipped {
		t.Fatalf("Step with a NaN in fc2.weight's gradient: %v", err)
	}
	if err := b.PullParams(); err != nil {
		t.Fatal(err)
	}
	for i, p := range m.Params {
		if !equal(p.Value.F32, before[i].Value.F32) {
			t.Fatalf("%s changed in a rejected step", p.Name)
		}
	}
	st, err := opt.State()
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Groups[0].Params[0].Step; s != 0 {
		t.Fatalf("step count %d after a rejected step", s)
	}

	if _, _, err := mc.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	poison("out.bias")
	if err := opt.Step(); err != nil {
		t.Fatalf("a NaN outside the optimizer's parameters: %v", err)
	}
	if err := b.PullParams(); err != nil {
		t.Fatal(err)
	}
	if v := param(m.Params, "out.bias").Value.F32; !equal(v, param(before, "out.bias").Value.F32) {
		t.Fatalf("out.bias, in no group, changed to %v", v)
	}
	if w := param(m.Params, "fc1.weight").Value.F32; equal(w, param(before, "fc1.weight").Value.F32) {
		t.Fatal("fc1.weight did not change in an accepted step")
	}
}

// TestOnDeviceRejects: a parameter the backend does not hold, a group whose
// parameters are at different steps, a second OnDevice, and groups added
// afterwards are errors naming the cause.
func TestOnDeviceRejects(t *testing.T) {
	m, b, _, _ := deviceModel(t, testDevice)
	stranger := newGroupedOptimizer(t, "sgd", map[string]any{"lr": 0.1}, mirror(m.Params))
	if err := stranger.OnDevice(b); err == nil || !strings.Contains(err.Error(), "fc1.weight is not a trainable parameter") {
		t.Errorf("OnDevice over parameters of another model: %v", err)
	}
	uneven := newGroupedOptimizer(t, "adam", nil, m.Params)
	st, err := uneven.State()
	if err != nil {
		t.Fatal(err)
	}
	st.Groups[0].Params[1].Step = 5
	if err := uneven.SetState(st); err != nil {
		t.Fatal(err)
	}
	if err := uneven.OnDevice(b); err == nil || !strings.Contains(err.Error(), "different steps") {
		t.Errorf("OnDevice with a group at different steps: %v", err)
	}
	opt := newGroupedOptimizer(t, "sgd", map[string]any{"lr": 0.1}, m.Params)
	if err := opt.OnDevice(b); err != nil {
		t.Fatal(err)
	}
	if err := opt.OnDevice(b); err == nil || !strings.Contains(err.Error(), "already on a device") {
		t.Errorf("a second OnDevice: %v", err)
	}
	if err := opt.AddGroup(nil, nil); err == nil || !strings.Contains(err.Error(), "before OnDevice") {
		t.Errorf("AddGroup after OnDevice: %v", err)
	}
}

// TestDeviceStepAllocatesNothing runs training steps with the optimizer on a
// device that does nothing, so that every allocation counted is the host
// code's: the machine, the backend's run and the optimizer's step; with the
// update after each training run and inside it.
func TestDeviceStepAllocatesNothing(t *testing.T) {
	for _, inRuns := range []bool{false, true} {
		m, b, x, labels := deviceModel(t, func(*testing.T) backendMaker { return nullBackend })
		opt := newGroupedOptimizer(t, "adam", nil, m.Params)
		onDevice := opt.OnDevice
		if inRuns {
			onDevice = opt.OnDeviceInTraining
		}
		if err := onDevice(b); err != nil {
			t.Fatal(err)
		}
		mc := graph.NewMachine(m, b)
		step := func() {
			if _, _, err := mc.TrainStep(x, labels); err != nil {
				t.Fatal(err)
			}
			if err := opt.Step(); err != nil {
				t.Fatal(err)
			}
		}
		step() // compiles and prepares the program
		if n := testing.AllocsPerRun(10, step); n != 0 {
			t.Errorf("update inside the runs %t: %v allocations per training step on the device, want 0", inRuns, n)
		}
		st, err := opt.State()
		if err != nil {
			t.Fatal(err)
		}
		if s := st.Groups[0].Params[0].Step; s != 12 { // AllocsPerRun runs once more than asked
			t.Errorf("update inside the runs %t: step count %d after 12 steps", inRuns, s)
		}
	}
}

func nullBackend(m *graph.Model) (graph.ResidentBackend, error) {
	return graph.NewDeviceBackend(&nullDevice{next: 256}, m)
}

// nullDevice hands out addresses and ignores all work; downloads read zeros.
// It records graphs, as the GPU does, so programs are queued once and
// replayed.
type nullDevice struct{ next cuda.Ptr }

func (*nullDevice) BeginCapture() error               { return nil }
func (*nullDevice) EndCapture() (func() error, error) { return func() error { return nil }, nil }

func (d *nullDevice) Alloc(bytes int64) (cuda.Ptr, error) {
	p := d.next
	d.next = d.next.Add((bytes + 511) / 256 * 256)
	return p, nil
}
func (*nullDevice) Free(cuda.Ptr) error                        { return nil }
func (*nullDevice) Upload(cuda.Ptr, []float32) error           { return nil }
func (*nullDevice) UploadBytes(cuda.Ptr, []byte) error         { return nil }
func (*nullDevice) Launch(cuda.Launch) error                   { return nil }
func (*nullDevice) Gemm(cuda.ColMajor, float32, float32) error { return nil }
func (*nullDevice) Download(dst []float32, _ cuda.Ptr) error {
	clear(dst)
	return nil
}
func (*nullDevice) DownloadBytes(dst []byte, _ cuda.Ptr) error {
	clear(dst)
	return nil
}

func param(params []*graph.Param, name string) *graph.Param {
	for _, p := range params {
		if p.Name == name {
			return p
		}
	}
	panic("no parameter " + name)
}

func equal(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}
