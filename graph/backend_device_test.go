package graph

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/kernels"
)

// The device backend is checked against the CPU backend: every step lowered to
// its CUDA twins, with the device-side buffer plan, transfers and dropout
// seeds, on the CPU emulation of the kernels (package kernels/cudaemu) or,
// with -tags gpu, on the GPU.

// testBackend is a device backend for m on the test runtime: the emulator in
// the default build (backend_device_nogpu_test.go), the GPU with -tags gpu
// (backend_device_gpu_test.go).
func testBackend(t *testing.T, m *Model) *deviceBackend {
	t.Helper()
	return testBackendOn(t, testRuntime(t), m)
}

func testBackendOn(t *testing.T, rt deviceRuntime, m *Model) *deviceBackend {
	t.Helper()
	b, err := newDeviceBackend(rt, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

// deviceTestModel uses every op: convolution with and without bias, batch norm
// (2-D affine with a fused ReLU, beside it one with its ReLU and max pooling
// fused, 1-D plain), every activation, max and average pooling, dropout, residual sums with a fused ReLU (one with a batch norm
// fused in too), flatten, linear layers
// (the first with a fused ReLU, and a ReLU of its own after it) and the loss.
func deviceTestModel(t *testing.T, rng *rand.Rand) *Model {
	t.Helper()
	b := NewBuilder(tensor.Float32)
	must := nodeMust(t)
	param := func(name string, kind ParamKind, scale float64, shape ...int) *gorgonia.Node {
		buf := NewBuffer(tensor.Float32, shape...)
		for i := range buf.F32 {
			buf.F32[i] = float32(rng.NormFloat64() * scale)
		}
		if kind == State && strings.HasSuffix(name, "var") {
			for i := range buf.F32 {
				buf.F32[i] = 1 + float32(rng.Float64())
			}
		}
		return must(b.Param(name, kind, buf))
	}
	x := must(b.Input("x", 4, 2, 8, 8))
	h0 := must(Conv2D(x, param("c1.w", Weight, 0.5, 3, 2, 3, 3), param("c1.b", Bias, 0.1, 3), ConvOptions{Padding: [2]int{1, 1}}))
	h := must(BatchNorm(h0, param("bn.g", NormScale, 1, 3), param("bn.b", NormShift, 0.1, 3),
		param("bn.mean", State, 0.1, 3), param("bn.var", State, 0, 3), BatchNormOptions{Eps: 1e-5, Momentum: 0.1, ReLU: true}))
	h = must(MaxPool2D(h, PoolOptions{Kernel: [2]int{2, 2}}))
	p := must(fusedBatchNormReluMaxPool(h0, param("bnp.g", NormScale, 1, 3), param("bnp.b", NormShift, 0.1, 3),
		param("bnp.mean", State, 0.1, 3), param("bnp.var", State, 0, 3), BatchNormOptions{Eps: 1e-5, Momentum: 0.1}))
	d := must(Dropout(must(Add(h, p)), 0.3, 7))
	r := must(Conv2D(d, param("c2.w", Weight, 0.5, 3, 3, 3, 3), nil, ConvOptions{Padding: [2]int{1, 1}, Stride: [2]int{1, 1}}))
	r = must(Activate(r, LeakyReLU, 0.1))
	r = must(AddReLU(r, d))
	r = must(AddReLU(d, must(BatchNorm(r, param("bn2.g", NormScale, 1, 3), param("bn2.b", NormShift, 0.1, 3),
		param("bn2.mean", State, 0.1, 3), param("bn2.var", State, 0, 3), BatchNormOptions{Eps: 1e-5, Momentum: 0.1}))))
	r = must(AvgPool2D(r, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}))
	f := must(Flatten(r))
	l := must(LinearReLU(f, param("l1.w", Weight, 0.3, 8, 48), param("l1.b", Bias, 0.1, 8)))
	l = must(Activate(l, ReLU, 0))
	l = must(Activate(l, Tanh, 0))
	l = must(BatchNorm(l, nil, nil, param("bn1.mean", State, 0.1, 8), param("bn1.var", State, 0, 8), BatchNormOptions{Eps: 1e-5, Momentum: 0.1}))
	l = must(Activate(l, Sigmoid, 0))
	logits := must(Linear(l, param("l2.w", Weight, 0.5, 5, 8), param("l2.b", Bias, 0.1, 5)))
	m, err := b.Finish(x, logits)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// closeBuffers fails unless got and want agree to tol relative to the larger
// of 1 and want's largest magnitude.
func closeBuffers(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	scale := 1.0
	for _, v := range want {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol*scale) {
			t.Fatalf("%s[%d] = %v on the device, %v on the CPU", what, i, got[i], want[i])
		}
	}
}

type paramSnapshot map[*Param][2][]float32

func snapshot(m *Model) paramSnapshot {
	s := paramSnapshot{}
	for _, p := range m.Params {
		var g []float32
		if p.Grad != nil {
			g = append(g, p.Grad.F32...)
		}
		s[p] = [2][]float32{append([]float32(nil), p.Value.F32...), g}
	}
	return s
}

func (s paramSnapshot) restore() {
	for p, v := range s {
		copy(p.Value.F32, v[0])
		if p.Grad != nil {
			copy(p.Grad.F32, v[1])
		}
	}
}

// deviceTestBatch is a random batch of inputs for deviceTestModel, all
// labelled class 0.
func deviceTestBatch(rng *rand.Rand) (x, labels *Buffer) {
	x, labels = NewBuffer(tensor.Float32, 4, 2, 8, 8), NewBuffer(tensor.Float32, 4)
	for i := range x.F32 {
		x.F32[i] = float32(rng.NormFloat64())
	}
	return x, labels
}

// stepOnBoth trains one step of m on the CPU, puts the parameters back and
// trains the same step on dev, failing t when the losses differ (what names
// the case). It returns the parameters before the step and after the CPU's
// step, and each backend's count of right predictions.
func stepOnBoth(t *testing.T, what string, m *Model, dev *deviceBackend, in, targets *Buffer) (start, cpuAfter paramSnapshot, cpuCorrect, devCorrect int) {
	t.Helper()
	start = snapshot(m)
	cpuLoss, cpuCorrect, err := NewMachine(m, CPU{}).TrainStep(in, targets)
	if err != nil {
		t.Fatal(err)
	}
	cpuAfter = snapshot(m)
	start.restore()
	devLoss, devCorrect, err := NewMachine(m, dev).TrainStep(in, targets)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(devLoss-cpuLoss) > 1e-5*(1+math.Abs(cpuLoss)) {
		t.Fatalf("%s: loss %v on the device, %v on the CPU", what, devLoss, cpuLoss)
	}
	return start, cpuAfter, cpuCorrect, devCorrect
}

// nodeMust unwraps a graph builder's result, failing t on an error.
func nodeMust(t *testing.T) func(*gorgonia.Node, error) *gorgonia.Node {
	return func(n *gorgonia.Node, err error) *gorgonia.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func TestDeviceBackendMatchesCPU(t *testing.T) { checkAgainstCPU(t, testRuntime(t)) }

// checkAgainstCPU trains and evaluates a model using every op on rt and on the
// CPU backend and compares losses, logits, gradients and running statistics.
func checkAgainstCPU(t *testing.T, rt deviceRuntime) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := deviceTestModel(t, rng)
	x, labels := deviceTestBatch(rng)
	for i := range labels.F32 {
		labels.F32[i] = float32(i % 5)
	}
	dev := testBackendOn(t, rt, m)
	var warnings []string
	dev.warnf = func(format string, args ...any) { warnings = append(warnings, format) }
	cpuM, devM := NewMachine(m, CPU{}), NewMachine(m, dev)

	for step := 0; step < 2; step++ { // the second step draws other dropout masks
		start := snapshot(m)
		cpuLoss, cpuCorrect, err := cpuM.TrainStep(x, labels)
		if err != nil {
			t.Fatal(err)
		}
		cpuAfter := snapshot(m)
		start.restore()
		devLoss, devCorrect, err := devM.TrainStep(x, labels)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(devLoss-cpuLoss) > 1e-5*(1+math.Abs(cpuLoss)) || devCorrect != cpuCorrect {
			t.Fatalf("step %d: loss %v, %d correct on the device; %v, %d on the CPU", step, devLoss, devCorrect, cpuLoss, cpuCorrect)
		}
		for _, p := range m.Params {
			closeBuffers(t, p.Name+" after the step", p.Value.F32, cpuAfter[p][0], 1e-5)
			if p.Grad != nil {
				closeBuffers(t, "gradient of "+p.Name, p.Grad.F32, cpuAfter[p][1], 1e-4)
			}
		}
	}

	cpuLoss, cpuCorrect, cpuLogits, err := cpuM.Evaluate(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), cpuLogits.F32...)
	devLoss, devCorrect, devLogits, err := devM.Evaluate(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	closeBuffers(t, "evaluation logits", devLogits.F32, want, 1e-5)
	if math.Abs(devLoss-cpuLoss) > 1e-5*(1+math.Abs(cpuLoss)) || devCorrect != cpuCorrect {
		t.Fatalf("evaluation: loss %v, %d correct on the device; %v, %d on the CPU", devLoss, devCorrect, cpuLoss, cpuCorrect)
	}
	if len(warnings) != 0 {
		t.Errorf("every op of the model has a CUDA kernel, yet: %q", warnings)
	}
	// The device counts right predictions itself: label the even rows with
	// the CPU's prediction and the odd rows with another class.
	picked := NewBuffer(tensor.Float32, 4)
	classes := len(want) / 4
	for r := range picked.F32 {
		best := 0
		for j := range classes {
			if want[r*classes+j] > want[r*classes+best] {
				best = j
			}
		}
		picked.F32[r] = float32((best + r%2) % classes)
	}
	if _, devCorrect, _, err = devM.Evaluate(x, picked); err != nil || devCorrect != 2 {
		t.Fatalf("evaluation with 2 rows labelled as the CPU predicts: %d correct on the device (%v)", devCorrect, err)
	}

	// Resident parameters: nothing comes back until PullParams.
	if err := dev.SetResident(true); err != nil {
		t.Fatal(err)
	}
	start := snapshot(m)
	if _, _, err := cpuM.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	cpuAfter := snapshot(m)
	start.restore()
	devM.SetIteration(cpuM.Iteration() - 1)
	if _, _, err := devM.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params {
		if p.Grad != nil && !equalF32(p.Grad.F32, start[p][1]) {
			t.Fatalf("resident run changed the host gradient of %s", p.Name)
		}
	}
	if err := dev.PullParams(); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Params {
		closeBuffers(t, "resident "+p.Name, p.Value.F32, cpuAfter[p][0], 1e-5)
		if p.Grad != nil {
			closeBuffers(t, "resident gradient of "+p.Name, p.Grad.F32, cpuAfter[p][1], 1e-4)
		}
	}

	labels.F32[2] = 7
	if _, _, err := devM.TrainStep(x, labels); err == nil || !strings.Contains(err.Error(), "label 7 of row 2") {
		t.Fatalf("a bad label: %v", err)
	}
}

func equalF32(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return len(a) == len(b)
}

// TestDeviceBackendRunsUnknownOpsOnHost: the harness's test-only loss has no
// CUDA kernel, so it runs on the CPU between device steps, with one warning.
func TestDeviceBackendRunsUnknownOpsOnHost(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := newHarness(t, tensor.Float32)
	x := h.arg("x", Weight, randVals(rng, 2*3*5*5), 2, 3, 5, 5)
	w := h.arg("w", Weight, randVals(rng, 4*3*3*3), 4, 3, 3, 3)
	out, err := Conv2D(x, w, nil, ConvOptions{Padding: [2]int{1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	h.finish(out, randVals(rng, 2*4*5*5))
	p, err := compile(h.model, 2, true, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := (CPU{}).Run(p, 0); err != nil {
		t.Fatal(err)
	}
	want := snapshot(h.model)
	for _, prm := range h.model.Params {
		if prm.Grad != nil {
			clear(prm.Grad.F32)
		}
	}
	dev := testBackend(t, h.model)
	var warnings []string
	dev.warnf = func(format string, args ...any) { warnings = append(warnings, args[0].(string)) }
	p2, err := compile(h.model, 2, true, true)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ {
		if err := dev.Run(p2, 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, prm := range h.model.Params {
		if prm.Grad != nil {
			closeBuffers(t, "gradient of "+prm.Name, prm.Grad.F32, want[prm][1], 1e-4)
		}
	}
	if len(warnings) != 2 || !strings.HasPrefix(warnings[0], "dot(") || !strings.HasPrefix(warnings[1], "scale_by(") {
		t.Fatalf("warnings %q, want one for dot and one for scale_by", warnings)
	}
}

// TestDeviceBackendRegression covers the mean squared error's CUDA twins.
func TestDeviceBackendRegression(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b := NewBuilder(tensor.Float32)
	param := func(name string, kind ParamKind, shape ...int) *gorgonia.Node {
		buf := NewBuffer(tensor.Float32, shape...)
		for i := range buf.F32 {
			buf.F32[i] = float32(rng.NormFloat64() * 0.5)
		}
		n, err := b.Param(name, kind, buf)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	x, err := b.Input("x", 6, 4)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Linear(x, param("l1.w", Weight, 7, 4), param("l1.b", Bias, 7))
	if err == nil {
		h, err = Activate(h, ReLU, 0)
	}
	if err == nil {
		h, err = Linear(h, param("l2.w", Weight, 3, 7), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.FinishRegression(x, h)
	if err != nil {
		t.Fatal(err)
	}
	in, targets := NewBuffer(tensor.Float32, 6, 4), NewBuffer(tensor.Float32, 6, 3)
	for i := range in.F32 {
		in.F32[i] = float32(rng.NormFloat64())
	}
	for i := range targets.F32 {
		targets.F32[i] = float32(rng.NormFloat64())
	}
	dev := testBackend(t, m)
	dev.warnf = func(format string, args ...any) { t.Errorf("unexpected warning: "+format, args...) }
	_, cpuAfter, _, _ := stepOnBoth(t, "regression", m, dev, in, targets)
	for _, p := range m.Params {
		closeBuffers(t, "gradient of "+p.Name, p.Grad.F32, cpuAfter[p][1], 1e-5)
	}
}

// TestFusedOptimizerUpdate runs an SGD update plan with two parameter groups
// on the resident parameters (one launch of the fused kernel over the
// region) and compares with kernels.SGD on the host.
func TestFusedOptimizerUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	m := deviceTestModel(t, rng)
	x, labels := deviceTestBatch(rng)
	dev := testBackend(t, m)
	if err := dev.SetResident(true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := NewMachine(m, dev).TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	type group struct{ lr, momentum, weightDecay float64 }
	groups := []group{{0.1, 0.9, 1e-2}, {0.05, 0.8, 0}} // weights; the rest
	var hyper []float32
	for _, g := range groups {
		hyper = append(hyper, kernels.SGDHyper(nil, g.lr, g.momentum, 0, g.weightDecay, false, true)...)
	}
	plan := UpdatePlan{Kernel: FusedKernel{Name: "SGD", SlotArgs: []int{0}}, Slots: 1, RowLen: len(hyper) / 2, Groups: make([][]*Param, 2)}
	of := map[*Param]int{}
	for _, p := range m.Trainable() {
		if p.Kind != Weight {
			of[p] = 1
		}
		plan.Groups[of[p]] = append(plan.Groups[of[p]], p)
	}
	u, err := dev.AttachUpdate(plan)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.PushSlot(0, func(p *Param) []float32 { return make([]float32, p.Value.Len()) }); err != nil {
		t.Fatal(err)
	}
	if err := u.Update(hyper); err != nil {
		t.Fatal(err)
	}
	if bad, err := u.NonFinite(); bad != nil || err != nil {
		t.Fatalf("NonFinite: %v, %v", bad, err)
	}
	start := snapshot(m)
	if err := dev.PullParams(); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Trainable() {
		g := groups[of[p]]
		want := append([]float32(nil), start[p][0]...)
		kernels.SGD(want, p.Grad.F32, make([]float32, len(want)), g.lr, g.momentum, 0, g.weightDecay, false, true)
		closeBuffers(t, "SGD-updated "+p.Name, p.Value.F32, want, 1e-6)
		// Only weights surely move: c1.b's gradient is rounding noise, the batch
		// norm after it removing any shift.
		if p.Kind == Weight && equalF32(p.Value.F32, start[p][0]) {
			t.Fatalf("%s did not change", p.Name)
		}
	}
}
