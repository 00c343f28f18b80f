package graph

import (
	"encoding/json"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/internal/golden"
)

// layerCase is a golden "layer" case (testdata/golden/FORMAT.md).
type layerCase struct {
	Op          string                   `json:"op"`
	Attrs       map[string]any           `json:"attrs"`
	Inputs      map[string]golden.Tensor `json:"inputs"`
	Outputs     map[string]golden.Tensor `json:"outputs"`
	GradOutputs map[string]golden.Tensor `json:"grad_outputs"`
	GradInputs  map[string]golden.Tensor `json:"grad_inputs"`
	Eval        map[string]golden.Tensor `json:"eval"`
	Rtol        float64                  `json:"rtol"`
	Atol        float64                  `json:"atol"`
}

func (c *layerCase) pair(key string, def int) [2]int {
	switch v := c.Attrs[key].(type) {
	case []any:
		return [2]int{int(v[0].(float64)), int(v[len(v)-1].(float64))}
	case float64:
		return [2]int{int(v), int(v)}
	}
	return [2]int{def, def}
}

func (c *layerCase) number(key string, def float64) float64 {
	if v, ok := c.Attrs[key].(float64); ok {
		return v
	}
	return def
}

// TestGoldenLayers runs every PyTorch layer case in float64 and float32: the
// forward outputs, the gradients for the given upstream gradient, and for batch
// norm the running statistics and an evaluation-mode forward.
func TestGoldenLayers(t *testing.T) { runGoldenCases(t, "layers", runLayerCase) }

// runGoldenCases decodes every golden case of a kind into a C and runs it in
// float64 and float32, one subtest each.
func runGoldenCases[C any](t *testing.T, kind string, run func(*testing.T, *C, tensor.Dtype)) {
	cases, err := golden.Load(kind)
	if err != nil {
		t.Fatal(err)
	}
	for _, gc := range cases {
		var c C
		if err := json.Unmarshal(gc.Raw, &c); err != nil {
			t.Fatalf("%s: %v", gc.Path, err)
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(gc.Name+"/"+dt.String(), func(t *testing.T) { run(t, &c, dt) })
		}
	}
}

func runLayerCase(t *testing.T, c *layerCase, dt tensor.Dtype) {
	h := newHarness(t, dt)
	in := func(name string, kind ParamKind) *gorgonia.Node {
		v, ok := c.Inputs[name]
		if !ok {
			return nil
		}
		return h.arg(name, kind, v.Data, v.Shape...)
	}
	var out *gorgonia.Node
	var err error
	switch c.Op {
	case "conv2d":
		out, err = Conv2D(in("x", Weight), in("w", Weight), in("b", Bias), ConvOptions{
			Stride: c.pair("stride", 1), Padding: c.pair("padding", 0), Dilation: c.pair("dilation", 1),
			Groups: int(c.number("groups", 1))})
	case "relu6", "silu", "hardswish", "hardsigmoid":
		out, err = Activate(in("x", Weight), map[string]Activation{
			"relu6": ReLU6, "silu": SiLU, "hardswish": Hardswish, "hardsigmoid": Hardsigmoid}[c.Op], 0)
	case "adaptive_avgpool2d":
		if size := c.pair("output_size", 1); size != [2]int{1, 1} {
			t.Fatalf("adaptive average pooling to %v: only 1×1 is supported", size)
		}
		out, err = GlobalAvgPool(in("x", Weight))
	case "linear":
		out, err = Linear(in("x", Weight), in("w", Weight), in("b", Bias))
	case "maxpool2d", "avgpool2d":
		opt := PoolOptions{Kernel: c.pair("kernel", 0), Padding: c.pair("padding", 0)}
		opt.Stride = c.pair("stride", opt.Kernel[0])
		if c.Op == "maxpool2d" {
			out, err = MaxPool2D(in("x", Weight), opt)
		} else {
			out, err = AvgPool2D(in("x", Weight), opt)
		}
	case "batchnorm1d", "batchnorm2d":
		out, err = BatchNorm(in("x", Weight), in("gamma", NormScale), in("beta", NormShift),
			in("running_mean", State), in("running_var", State),
			BatchNormOptions{Eps: c.number("eps", 1e-5), Momentum: c.number("momentum", 0.1)})
	case "softmax_cross_entropy":
		out, err = SoftmaxCrossEntropy(in("logits", Weight), in("labels", State))
	default:
		t.Fatalf("unknown layer op %q", c.Op)
	}
	if err != nil {
		t.Fatal(err)
	}
	var upstream golden.Tensor
	for _, g := range c.GradOutputs {
		upstream = g
	}
	h.finish(out, upstream.Data)

	rtol, atol := golden.Tolerance(c.Rtol, c.Atol, dt == tensor.Float32)
	check := func(what string, got *Buffer, want golden.Tensor) {
		t.Helper()
		vals := make([]float64, got.Len())
		for i := range vals {
			vals[i] = got.At(i)
		}
		if msg := golden.Mismatch(vals, want.Data, rtol, atol); msg != "" {
			t.Errorf("%s: %s", what, msg)
		}
	}
	y := h.output(true)
	for name, want := range c.Outputs {
		switch name {
		case "running_mean", "running_var":
			check(name, h.args[name].Value, want)
		default:
			check("output "+name, y, want)
		}
	}
	for name, want := range c.GradInputs {
		check("gradient of "+name, h.args[name].Grad, want)
	}
	if x, ok := c.Eval["x"]; ok {
		// Running statistics now hold the values after exactly one training
		// forward, as in the reference.
		for i, v := range x.Data {
			h.args["x"].Value.Set(i, v)
		}
		check("eval output", h.output(false), c.Eval["y"])
	}
}
