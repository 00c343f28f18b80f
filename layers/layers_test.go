package layers

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// TestInitStatistics checks each scheme's bound, mean and standard deviation
// against torch.nn.init's formulas, within sampling tolerance.
func TestInitStatistics(t *testing.T) {
	shape := []int{64, 32, 3, 3} // fan_in 288, fan_out 576
	fanIn, fanOut := 288.0, 576.0
	cases := []struct {
		name  string
		init  Init
		std   float64 // expected standard deviation
		bound float64 // expected max |w| for uniform schemes, 0 otherwise
		mean  float64
	}{
		{"default", Init{}, 1 / math.Sqrt(fanIn) / math.Sqrt(3), 1 / math.Sqrt(fanIn), 0},
		{"xavier_uniform", Init{Scheme: XavierUniform}, math.Sqrt(2 / (fanIn + fanOut)), math.Sqrt(6 / (fanIn + fanOut)), 0},
		{"xavier_normal/tanh", Init{Scheme: XavierNormal, Nonlinearity: "tanh"}, 5.0 / 3 * math.Sqrt(2/(fanIn+fanOut)), 0, 0},
		{"kaiming_uniform/relu", Init{Scheme: KaimingUniform, Nonlinearity: "relu"}, math.Sqrt(2 / fanIn), math.Sqrt(6 / fanIn), 0},
		{"kaiming_normal/relu/fan_out", Init{Scheme: KaimingNormal, Nonlinearity: "relu", Mode: FanOut}, math.Sqrt(2 / fanOut), 0, 0},
		{"kaiming_normal/leaky", Init{Scheme: KaimingNormal, Nonlinearity: "leaky_relu", Slope: 0.2}, math.Sqrt(2/1.04) / math.Sqrt(fanIn), 0, 0},
		{"normal", Init{Scheme: Normal, Std: 1}, 1, 0, 0},
		{"constant", Init{Scheme: Constant, Value: 0.3}, 0, 0.3, 0.3},
		{"zeros", Init{Scheme: Zeros}, 0, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := make([]float64, graph.ShapeSize(shape))
			if err := c.init.Fill(w, shape, rand.New(rand.NewPCG(1, 1))); err != nil {
				t.Fatal(err)
			}
			var sum, sq, maxAbs float64
			for _, v := range w {
				sum += v
				maxAbs = math.Max(maxAbs, math.Abs(v))
			}
			mean := sum / float64(len(w))
			for _, v := range w {
				sq += (v - mean) * (v - mean)
			}
			std := math.Sqrt(sq / float64(len(w)))
			n := float64(len(w))
			// Sampling tolerances: 5 standard errors.
			if math.Abs(mean-c.mean) > 5*c.std/math.Sqrt(n)+1e-12 {
				t.Errorf("mean %.5g, want %.5g", mean, c.mean)
			}
			if math.Abs(std-c.std) > 5*c.std/math.Sqrt(2*n)+1e-12 {
				t.Errorf("std %.5g, want %.5g", std, c.std)
			}
			if c.bound > 0 && (maxAbs > c.bound+1e-12 || maxAbs < 0.99*c.bound) {
				t.Errorf("max |w| %.5g, want just under %.5g", maxAbs, c.bound)
			}
		})
	}
}

func TestParseSchemeRejectsUnknown(t *testing.T) {
	if _, err := ParseScheme("he_uniform"); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseScheme("glorious"); err == nil || !strings.Contains(err.Error(), "glorious") {
		t.Fatalf("error %v does not name the bad scheme", err)
	}
}

// TestShapeMismatchNamesLayer: a wrong layer size is reported when the model is
// built, naming the layer and both shapes.
func TestShapeMismatchNamesLayer(t *testing.T) {
	net := Sequential{Flatten{}, Linear{Name: "fc1", In: 784, Out: 32}, ReLU, Linear{Name: "fc2", In: 64, Out: 10}}
	_, err := Build(net, []int{8, 1, 28, 28}, tensor.Float32, 1)
	if err == nil {
		t.Fatal("no error for a 32-wide input to a 64-wide layer")
	}
	for _, want := range []string{"fc2", "[8 32]", "N×64"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	conv := Sequential{Conv2D{Name: "conv1", In: 3, Out: 8, Kernel: [2]int{3, 3}}}
	if _, err := Build(conv, []int{2, 1, 8, 8}, tensor.Float32, 1); err == nil || !strings.Contains(err.Error(), "conv1") {
		t.Errorf("conv channel mismatch: error %v", err)
	}
}

func TestParameterNames(t *testing.T) {
	m, err := Build(LeNet(LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, BatchNorm: true}), []int{2, 1, 28, 28}, tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"conv1.weight", "bn1.weight", "bn1.running_mean", "bn2.running_var", "fc1.weight", "bn3.bias", "fc2.bias"} {
		if m.Param(name) == nil {
			t.Errorf("no parameter %q", name)
		}
	}
	r, err := Build(ResNet(ResNetConfig{Channels: 3, Classes: 10}), []int{2, 3, 32, 32}, tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"conv1.weight", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer3.0.bn2.running_var", "fc.weight"} {
		if r.Param(name) == nil {
			t.Errorf("no parameter %q in the ResNet", name)
		}
	}
}

// trainSteps builds a model from seed and runs steps SGD steps on fixed random
// batches, returning the losses and the final weights.
func trainSteps(t *testing.T, net Layer, shape []int, classes, steps int) ([]float64, []float32) {
	m, err := Build(net, shape, tensor.Float32, 42)
	if err != nil {
		t.Fatal(err)
	}
	mc := graph.NewMachine(m, graph.CPU{})
	rng := rand.New(rand.NewPCG(7, 7))
	x := graph.NewBuffer(tensor.Float32, shape...)
	labels := graph.NewBuffer(tensor.Float32, shape[0])
	var losses []float64
	for s := 0; s < steps; s++ {
		for i := range x.F32 {
			x.F32[i] = float32(rng.NormFloat64())
		}
		for i := range labels.F32 {
			labels.F32[i] = float32(rng.IntN(classes))
		}
		loss, _, err := mc.TrainStep(x, labels)
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, loss)
		for _, p := range m.Params {
			if p.Trainable() {
				for i, g := range p.Grad.F32 {
					p.Value.F32[i] -= 0.05 * g
				}
			}
		}
	}
	var w []float32
	for _, p := range m.Params {
		w = append(w, p.Value.F32...)
	}
	return losses, w
}

// TestDeterminismAcrossGOMAXPROCS: same seed, bit-identical training with 1 and
// 2 threads (LeNet with batch norm and dropout, and the ResNet).
func TestDeterminismAcrossGOMAXPROCS(t *testing.T) {
	nets := map[string]struct {
		net   Layer
		shape []int
	}{
		"lenet":  {LeNet(LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, BatchNorm: true, Dropout: 0.3}), []int{16, 1, 28, 28}},
		"resnet": {ResNet(ResNetConfig{Channels: 3, Classes: 10, Width: 8}), []int{4, 3, 32, 32}},
	}
	for name, n := range nets {
		t.Run(name, func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
			runtime.GOMAXPROCS(1)
			l1, w1 := trainSteps(t, n.net, n.shape, 10, 3)
			runtime.GOMAXPROCS(2)
			l2, w2 := trainSteps(t, n.net, n.shape, 10, 3)
			for i := range l1 {
				if l1[i] != l2[i] {
					t.Fatalf("step %d loss %v with 1 thread, %v with 2", i, l1[i], l2[i])
				}
			}
			for i := range w1 {
				if w1[i] != w2[i] {
					t.Fatalf("weight %d differs: %v vs %v", i, w1[i], w2[i])
				}
			}
		})
	}
}

// TestOtherBatchSizes: a model built for batch 8 trains on a partial batch of 3
// and evaluates a batch of 20 without rebuilding, with the same per-sample
// results as the built batch size.
func TestOtherBatchSizes(t *testing.T) {
	m, err := Build(LeNet(LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, BatchNorm: true}), []int{8, 1, 28, 28}, tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	mc := graph.NewMachine(m, graph.CPU{})
	rng := rand.New(rand.NewPCG(3, 3))
	batch := func(n int) (*graph.Buffer, *graph.Buffer) {
		x, l := graph.NewBuffer(tensor.Float64, n, 1, 28, 28), graph.NewBuffer(tensor.Float64, n)
		for i := range x.F64 {
			x.F64[i] = rng.Float64()
		}
		for i := range l.F64 {
			l.F64[i] = float64(rng.IntN(10))
		}
		return x, l
	}
	x3, l3 := batch(3)
	if _, _, err := mc.TrainStep(x3, l3); err != nil {
		t.Fatal(err)
	}
	x20, l20 := batch(20)
	_, _, logits, err := mc.Evaluate(x20, l20)
	if err != nil {
		t.Fatal(err)
	}
	big := append([]float64(nil), logits.F64...)
	// In evaluation mode each sample's logits do not depend on the batch.
	x8 := &graph.Buffer{Shape: []int{8, 1, 28, 28}, F64: x20.F64[:8*784]}
	_, _, logits8, err := mc.Evaluate(x8, &graph.Buffer{Shape: []int{8}, F64: l20.F64[:8]})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range logits8.F64 {
		if math.Abs(v-big[i]) > 1e-12 {
			t.Fatalf("logit %d: %v in a batch of 8, %v in a batch of 20", i, v, big[i])
		}
	}
	if _, _, err := mc.TrainStep(x3, &graph.Buffer{Shape: []int{2}, F64: l3.F64[:2]}); err == nil {
		t.Error("no error for 2 labels with a batch of 3")
	}
}

// TestRegressionFits: a linear model with the mean squared error loss learns
// y = 2x − 1 by gradient descent.
func TestRegressionFits(t *testing.T) {
	m, err := BuildRegression(Linear{Name: "fit", In: 1, Out: 1}, []int{16, 1}, tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	mc := graph.NewMachine(m, graph.CPU{})
	x, y := graph.NewBuffer(tensor.Float64, 16, 1), graph.NewBuffer(tensor.Float64, 16, 1)
	for i := range x.F64 {
		x.F64[i] = float64(i)/8 - 1
		y.F64[i] = 2*x.F64[i] - 1
	}
	var loss float64
	for s := 0; s < 500; s++ {
		if loss, _, err = mc.TrainStep(x, y); err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params {
			for i, g := range p.Grad.F64 {
				p.Value.F64[i] -= 0.2 * g
			}
		}
	}
	w, b := m.Param("fit.weight").Value.F64[0], m.Param("fit.bias").Value.F64[0]
	if math.Abs(w-2) > 1e-6 || math.Abs(b+1) > 1e-6 || loss > 1e-10 {
		t.Fatalf("fit w=%v b=%v loss=%v, want 2, −1, 0", w, b, loss)
	}
}
