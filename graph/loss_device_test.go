package graph

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestDeviceBackendCrossEntropyOptions trains one step of a linear classifier
// with class weights and label smoothing, against class indices and against
// soft targets, on the device backend and on the CPU, and compares the loss,
// the count of right predictions and the gradients.
func TestDeviceBackendCrossEntropyOptions(t *testing.T) {
	const n, features, classes = 6, 4, 3
	for _, soft := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(7, 8))
		b := NewBuilder(tensor.Float32)
		param := func(name string, shape ...int) *gorgonia.Node {
			buf := NewBuffer(tensor.Float32, shape...)
			for i := range buf.F32 {
				buf.F32[i] = float32(rng.NormFloat64())
			}
			node, err := b.Param(name, Weight, buf)
			if err != nil {
				t.Fatal(err)
			}
			return node
		}
		x, err := b.Input("x", n, features)
		if err != nil {
			t.Fatal(err)
		}
		logits, err := Linear(x, param("w", classes, features), nil)
		if err != nil {
			t.Fatal(err)
		}
		opt := CrossEntropyOptions{LabelSmoothing: 0.15, ClassWeights: []float64{0.5, 2, 1.25}}
		m, err := b.FinishCrossEntropy(x, logits, opt, soft)
		if err != nil {
			t.Fatal(err)
		}
		in := NewBuffer(tensor.Float32, n, features)
		for i := range in.F32 {
			in.F32[i] = float32(rng.NormFloat64())
		}
		targets := NewBuffer(tensor.Float32, n)
		if soft {
			targets = NewBuffer(tensor.Float32, n, classes)
			for i := 0; i < n; i++ {
				lam := rng.Float32()
				targets.F32[i*classes+rng.IntN(classes)] += lam
				targets.F32[i*classes+rng.IntN(classes)] += 1 - lam
			}
		} else {
			for i := range targets.F32 {
				targets.F32[i] = float32(rng.IntN(classes))
			}
		}
		dev := testBackend(t, m)
		dev.warnf = func(format string, args ...any) { t.Errorf("unexpected warning: "+format, args...) }
		_, cpuAfter, cpuCorrect, devCorrect := stepOnBoth(t, fmt.Sprintf("soft=%t", soft), m, dev, in, targets)
		if devCorrect != cpuCorrect {
			t.Fatalf("soft=%t: %d right on the device, %d on the CPU", soft, devCorrect, cpuCorrect)
		}
		closeBuffers(t, "gradient of w", m.Param("w").Grad.F32, cpuAfter[m.Param("w")][1], 1e-5)
	}
}
