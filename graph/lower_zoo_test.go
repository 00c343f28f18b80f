package graph

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestDeviceBackendZooOps trains one step of a model made of the ops that
// torchvision's networks brought, on the device backend and on the CPU, and
// compares loss and gradients.
func TestDeviceBackendZooOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	b := NewBuilder(tensor.Float32)
	must := nodeMust(t)
	param := func(name string, shape ...int) *gorgonia.Node {
		buf := NewBuffer(tensor.Float32, shape...)
		for i := range buf.F32 {
			buf.F32[i] = float32(rng.NormFloat64() * 0.7)
		}
		return must(b.Param(name, Weight, buf))
	}
	x := must(b.Input("x", 3, 4, 9, 9))
	h := must(Conv2D(x, param("dw.w", 8, 1, 3, 3), param("dw.b", 8), ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 4}))
	h = must(Activate(h, ReLU6, 0))
	h = must(Conv2D(h, param("g.w", 6, 4, 1, 1), nil, ConvOptions{Groups: 2}))
	h = must(Activate(h, SiLU, 0))
	h = must(Activate(h, Hardswish, 0))
	h = must(Activate(h, Hardsigmoid, 0))
	h = must(GlobalAvgPool(h))
	logits := must(Linear(must(Flatten(h)), param("fc.w", 5, 6), nil))
	m, err := b.Finish(x, logits)
	if err != nil {
		t.Fatal(err)
	}
	in, labels := NewBuffer(tensor.Float32, 3, 4, 9, 9), NewBuffer(tensor.Float32, 3)
	for i := range in.F32 {
		in.F32[i] = float32(rng.NormFloat64() * 2)
	}
	labels.F32 = []float32{1, 4, 0}

	dev := testBackend(t, m)
	var warnings []string
	dev.warnf = func(format string, args ...any) { warnings = append(warnings, args[0].(string)) }
	_, want, _, _ := stepOnBoth(t, "zoo ops", m, dev, in, labels)
	for _, p := range m.Params {
		closeBuffers(t, "gradient of "+p.Name, p.Grad.F32, want[p][1], 1e-4)
	}
	if len(warnings) != 0 {
		t.Errorf("every op has a CUDA kernel, yet: %q", warnings)
	}
}

// TestDeviceBackendFrozenBatchNorm: a frozen batch norm runs in evaluation
// mode inside a training program on the device as on the CPU, and leaves its
// running statistics alone, followed by a ReLU of its own or a fused one.
func TestDeviceBackendFrozenBatchNorm(t *testing.T) {
	for _, fused := range []bool{false, true} {
		t.Run(fmt.Sprint("fused_relu=", fused), func(t *testing.T) { testFrozenBatchNorm(t, fused) })
	}
}

func testFrozenBatchNorm(t *testing.T, fusedReLU bool) {
	rng := rand.New(rand.NewPCG(9, 10))
	b := NewBuilder(tensor.Float32)
	if err := b.Freeze("bn"); err != nil {
		t.Fatal(err)
	}
	must := nodeMust(t)
	param := func(name string, kind ParamKind, offset float32, shape ...int) *gorgonia.Node {
		buf := NewBuffer(tensor.Float32, shape...)
		for i := range buf.F32 {
			buf.F32[i] = offset + float32(rng.NormFloat64()*0.3)
		}
		return must(b.Param(name, kind, buf))
	}
	x := must(b.Input("x", 2, 3, 6, 6))
	h := must(Conv2D(x, param("conv.w", Weight, 0, 4, 3, 3, 3), nil, ConvOptions{Padding: [2]int{1, 1}}))
	h = must(BatchNorm(h, param("bn.weight", NormScale, 1, 4), param("bn.bias", NormShift, 0, 4),
		param("bn.running_mean", State, 0, 4), param("bn.running_var", State, 1.5, 4), BatchNormOptions{Eps: 1e-5, Momentum: 0.1, Frozen: true, ReLU: fusedReLU}))
	if !fusedReLU {
		h = must(Activate(h, ReLU, 0))
	}
	h = must(GlobalAvgPool(h))
	m, err := b.Finish(x, must(Linear(must(Flatten(h)), param("fc.w", Weight, 0, 3, 4), nil)))
	if err != nil {
		t.Fatal(err)
	}
	in, labels := NewBuffer(tensor.Float32, 2, 3, 6, 6), NewBuffer(tensor.Float32, 2)
	for i := range in.F32 {
		in.F32[i] = float32(rng.NormFloat64())
	}
	labels.F32 = []float32{2, 0}
	start, want, _, _ := stepOnBoth(t, "frozen batch norm", m, testBackend(t, m), in, labels)
	for _, p := range m.Params {
		if strings.HasPrefix(p.Name, "bn.") && p.Grad != nil {
			t.Fatalf("frozen %s has a gradient", p.Name)
		}
		if p.Kind == State && !equalF32(p.Value.F32, start[p][0]) {
			t.Fatalf("%s changed in training", p.Name)
		}
		if p.Grad != nil {
			closeBuffers(t, "gradient of "+p.Name, p.Grad.F32, want[p][1], 1e-4)
		}
	}
}
