package kernels

import (
	"encoding/json"
	"testing"

	"github.com/descent-ml/descent/internal/golden"
)

// The PyTorch layer cases (testdata/golden/layers, see FORMAT.md) whose forward
// and backward passes are single kernels here run against those kernels
// directly, in float64 with the file's tolerances and in float32 with the
// relaxed ones. The graph package runs every case through compiled graphs too.

type layerCase struct {
	Op          string
	Attrs       map[string]json.RawMessage
	Inputs      map[string]golden.Tensor
	Outputs     map[string]golden.Tensor
	GradOutputs map[string]golden.Tensor `json:"grad_outputs"`
	GradInputs  map[string]golden.Tensor `json:"grad_inputs"`
	Eval        map[string]golden.Tensor
	Rtol, Atol  float64
}

func TestGoldenLayerKernels(t *testing.T) {
	cases, err := golden.Load("layers")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		var lc layerCase
		if err := json.Unmarshal(c.Raw, &lc); err != nil {
			t.Fatalf("%s: %v", c.Path, err)
		}
		run, ok := layerKernelRunners[lc.Op]
		if !ok {
			t.Logf("%s: op %q has no single-kernel check here", c.Name, lc.Op)
			continue
		}
		t.Run(c.Name+"/float64", func(t *testing.T) { run.f64(t, &lc, false) })
		t.Run(c.Name+"/float32", func(t *testing.T) { run.f32(t, &lc, true) })
	}
}

// layerRunner checks one op in float64 and in float32.
type layerRunner struct {
	f64, f32 func(t *testing.T, lc *layerCase, float32Run bool)
}

var layerKernelRunners = map[string]layerRunner{
	"conv2d":                {goldenConv2D[float64], goldenConv2D[float32]},
	"maxpool2d":             {goldenMaxPool2D[float64], goldenMaxPool2D[float32]},
	"batchnorm1d":           {goldenBatchNorm[float64], goldenBatchNorm[float32]},
	"batchnorm2d":           {goldenBatchNorm[float64], goldenBatchNorm[float32]},
	"linear":                {goldenLinear[float64], goldenLinear[float32]},
	"softmax_cross_entropy": {goldenSoftmaxCE[float64], goldenSoftmaxCE[float32]},
	"relu6":                 {goldenActivation[float64](Relu6Forward, Relu6Backward), goldenActivation[float32](Relu6Forward, Relu6Backward)},
	"silu":                  {goldenActivation[float64](SiluForward, SiluBackward), goldenActivation[float32](SiluForward, SiluBackward)},
	"hardswish":             {goldenActivation[float64](HardswishForward, HardswishBackward), goldenActivation[float32](HardswishForward, HardswishBackward)},
	"hardsigmoid":           {goldenActivation[float64](HardsigmoidForward, HardsigmoidBackward), goldenActivation[float32](HardsigmoidForward, HardsigmoidBackward)},
	"adaptive_avgpool2d":    {goldenGlobalAvgPool[float64], goldenGlobalAvgPool[float32]},
}

// goldenActivation checks an element-wise activation whose gradient is
// computed from its input.
func goldenActivation[T Float](forward func(x, y []T), backward func(x, dy, dx []T)) func(*testing.T, *layerCase, bool) {
	return func(t *testing.T, lc *layerCase, float32Run bool) {
		k := layerCheck{t, lc, float32Run}
		xs := asType[T](tensor(t, lc.Inputs, "input", "x").Data)
		y, dx := make([]T, len(xs)), make([]T, len(xs))
		forward(xs, y)
		k.expect("y", toFloat64s(y), tensor(t, lc.Outputs, "output", "y"))
		backward(xs, asType[T](tensor(t, lc.GradOutputs, "grad output", "y").Data), dx)
		k.expect("dx", toFloat64s(dx), tensor(t, lc.GradInputs, "grad input", "x"))
	}
}

func goldenGlobalAvgPool[T Float](t *testing.T, lc *layerCase, float32Run bool) {
	k := layerCheck{t, lc, float32Run}
	if size := pairAttr(t, lc, "output_size", [2]int{1, 1}); size != [2]int{1, 1} {
		t.Fatalf("output size %v: the kernels pool to 1×1", size)
	}
	x := tensor(t, lc.Inputs, "input", "x")
	planes, hw := x.Shape[0]*x.Shape[1], x.Shape[2]*x.Shape[3]
	xs := asType[T](x.Data)
	y, dx := make([]T, planes), make([]T, len(xs))
	GlobalAvgPoolForward(planes, hw, xs, y)
	k.expect("y", toFloat64s(y), tensor(t, lc.Outputs, "output", "y"))
	GlobalAvgPoolBackward(planes, hw, asType[T](tensor(t, lc.GradOutputs, "grad output", "y").Data), dx)
	k.expect("dx", toFloat64s(dx), tensor(t, lc.GradInputs, "grad input", "x"))
}

// layerCheck compares kernel results with one case's tensors.
type layerCheck struct {
	t          *testing.T
	lc         *layerCase
	float32Run bool
}

func (k layerCheck) expect(what string, got []float64, want golden.Tensor) {
	k.t.Helper()
	rtol, atol := golden.Tolerance(k.lc.Rtol, k.lc.Atol, k.float32Run)
	if msg := golden.Mismatch(got, want.Data, rtol, atol); msg != "" {
		k.t.Errorf("%s: %s", what, msg)
	}
}

// tensor returns a tensor of the case by role and name, failing when absent.
func tensor(t *testing.T, set map[string]golden.Tensor, role, name string) golden.Tensor {
	t.Helper()
	v, ok := set[name]
	if !ok {
		t.Fatalf("case has no %s %q", role, name)
	}
	return v
}

// optional returns a tensor's data in T, or nil when the case has none.
func optional[T Float](set map[string]golden.Tensor, name string) []T {
	if v, ok := set[name]; ok {
		return asType[T](v.Data)
	}
	return nil
}

// pairAttr reads an attribute given as one number or as [h, w], with a default
// when absent.
func pairAttr(t *testing.T, lc *layerCase, name string, def [2]int) [2]int {
	t.Helper()
	raw, ok := lc.Attrs[name]
	if !ok || string(raw) == "null" {
		return def
	}
	var pair [2]int
	if err := json.Unmarshal(raw, &pair); err == nil {
		return pair
	}
	var one int
	if err := json.Unmarshal(raw, &one); err != nil {
		t.Fatalf("attribute %s = %s is neither a number nor a pair", name, raw)
	}
	return [2]int{one, one}
}

func floatAttr(t *testing.T, lc *layerCase, name string) float64 {
	t.Helper()
	var v *float64
	if err := json.Unmarshal(lc.Attrs[name], &v); err != nil || v == nil {
		t.Fatalf("attribute %s = %s is not a number", name, lc.Attrs[name])
	}
	return *v
}

func goldenConv2D[T Float](t *testing.T, lc *layerCase, float32Run bool) {
	k := layerCheck{t, lc, float32Run}
	x, w := tensor(t, lc.Inputs, "input", "x"), tensor(t, lc.Inputs, "input", "w")
	stride, pad := pairAttr(t, lc, "stride", [2]int{1, 1}), pairAttr(t, lc, "padding", [2]int{0, 0})
	dil := pairAttr(t, lc, "dilation", [2]int{1, 1})
	groups := pairAttr(t, lc, "groups", [2]int{1, 1})[0]
	s := ConvShape{N: x.Shape[0], C: x.Shape[1], H: x.Shape[2], W: x.Shape[3], K: w.Shape[0], R: w.Shape[2], S: w.Shape[3],
		StrideH: stride[0], StrideW: stride[1], PadH: pad[0], PadW: pad[1], DilationH: dil[0], DilationW: dil[1], Groups: groups}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	xs, ws, bias := asType[T](x.Data), asType[T](w.Data), optional[T](lc.Inputs, "b")
	work := make([]T, Conv2DWorkspace(s))
	y := make([]T, s.N*s.K*s.OutH()*s.OutW())
	Conv2DForward(s, xs, ws, bias, y, work)
	k.expect("y", toFloat64s(y), tensor(t, lc.Outputs, "output", "y"))

	dy := asType[T](tensor(t, lc.GradOutputs, "grad output", "y").Data)
	dx, dw := make([]T, len(xs)), make([]T, len(ws))
	Conv2DBackwardData(s, ws, dy, dx, work)
	Conv2DBackwardFilter(s, xs, dy, dw, work)
	k.expect("dx", toFloat64s(dx), tensor(t, lc.GradInputs, "grad input", "x"))
	k.expect("dw", toFloat64s(dw), tensor(t, lc.GradInputs, "grad input", "w"))
	if bias != nil {
		db := make([]T, s.K)
		BiasBackwardNCL(s.N, s.K, s.OutH()*s.OutW(), dy, db)
		k.expect("db", toFloat64s(db), tensor(t, lc.GradInputs, "grad input", "b"))
	}
}

func goldenMaxPool2D[T Float](t *testing.T, lc *layerCase, float32Run bool) {
	k := layerCheck{t, lc, float32Run}
	x := tensor(t, lc.Inputs, "input", "x")
	kernel := pairAttr(t, lc, "kernel", [2]int{0, 0})
	stride, pad := pairAttr(t, lc, "stride", kernel), pairAttr(t, lc, "padding", [2]int{0, 0})
	if d := pairAttr(t, lc, "dilation", [2]int{1, 1}); d != [2]int{1, 1} {
		t.Fatalf("dilation %v: pooling kernels have dilation 1", d)
	}
	if raw, ok := lc.Attrs["ceil_mode"]; ok && string(raw) != "false" {
		t.Fatalf("ceil_mode %s: pooling kernels use ceil_mode = False", raw)
	}
	s := PoolShape{N: x.Shape[0], C: x.Shape[1], H: x.Shape[2], W: x.Shape[3], KH: kernel[0], KW: kernel[1],
		StrideH: stride[0], StrideW: stride[1], PadH: pad[0], PadW: pad[1]}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	xs := asType[T](x.Data)
	y := make([]T, s.N*s.C*s.OutH()*s.OutW())
	MaxPool2DForward(s, xs, y)
	k.expect("y", toFloat64s(y), tensor(t, lc.Outputs, "output", "y"))
	dx := make([]T, len(xs))
	MaxPool2DBackward(s, xs, asType[T](tensor(t, lc.GradOutputs, "grad output", "y").Data), dx)
	k.expect("dx", toFloat64s(dx), tensor(t, lc.GradInputs, "grad input", "x"))
}

func goldenBatchNorm[T Float](t *testing.T, lc *layerCase, float32Run bool) {
	k := layerCheck{t, lc, float32Run}
	x := tensor(t, lc.Inputs, "input", "x")
	n, c, l := x.Shape[0], x.Shape[1], 1
	for _, d := range x.Shape[2:] {
		l *= d
	}
	eps, momentum := T(floatAttr(t, lc, "eps")), T(floatAttr(t, lc, "momentum"))
	xs := asType[T](x.Data)
	gamma, beta := optional[T](lc.Inputs, "gamma"), optional[T](lc.Inputs, "beta")
	runMean, runVar := optional[T](lc.Inputs, "running_mean"), optional[T](lc.Inputs, "running_var")
	y, mean, invStd := make([]T, len(xs)), make([]T, c), make([]T, c)
	BatchNormForwardTrain(n, c, l, xs, gamma, beta, eps, momentum, runMean, runVar, y, mean, invStd)
	k.expect("y", toFloat64s(y), tensor(t, lc.Outputs, "output", "y"))
	if runMean != nil {
		k.expect("running_mean", toFloat64s(runMean), tensor(t, lc.Outputs, "output", "running_mean"))
		k.expect("running_var", toFloat64s(runVar), tensor(t, lc.Outputs, "output", "running_var"))
	}

	dx, dgamma, dbeta := make([]T, len(xs)), make([]T, c), make([]T, c)
	BatchNormBackward(n, c, l, xs, gamma, asType[T](tensor(t, lc.GradOutputs, "grad output", "y").Data), mean, invStd, dx, dgamma, dbeta)
	k.expect("dx", toFloat64s(dx), tensor(t, lc.GradInputs, "grad input", "x"))
	if gamma != nil {
		k.expect("dgamma", toFloat64s(dgamma), tensor(t, lc.GradInputs, "grad input", "gamma"))
		k.expect("dbeta", toFloat64s(dbeta), tensor(t, lc.GradInputs, "grad input", "beta"))
	}

	if lc.Eval != nil {
		ex := asType[T](tensor(t, lc.Eval, "eval", "x").Data)
		ey := make([]T, len(ex))
		BatchNormForwardEval(n, c, l, ex, gamma, beta, runMean, runVar, eps, ey)
		k.expect("eval y", toFloat64s(ey), tensor(t, lc.Eval, "eval", "y"))
	}
}

// goldenLinear checks the kernels a linear layer runs: y = x·wᵀ + b by Gemm and
// BiasAddNCL, dx = dy·w and dw = dyᵀ·x by Gemm, db by BiasBackwardNCL.
func goldenLinear[T Float](t *testing.T, lc *layerCase, float32Run bool) {
	k := layerCheck{t, lc, float32Run}
	x, w := tensor(t, lc.Inputs, "input", "x"), tensor(t, lc.Inputs, "input", "w")
	n, in, out := x.Shape[0], x.Shape[1], w.Shape[0]
	xs, ws, bias := asType[T](x.Data), asType[T](w.Data), optional[T](lc.Inputs, "b")
	y := make([]T, n*out)
	Gemm(false, true, n, out, in, 1, xs, in, ws, in, 0, y, out)
	if bias != nil {
		BiasAddNCL(n, out, 1, bias, y)
	}
	k.expect("y", toFloat64s(y), tensor(t, lc.Outputs, "output", "y"))

	dy := asType[T](tensor(t, lc.GradOutputs, "grad output", "y").Data)
	dx, dw := make([]T, n*in), make([]T, out*in)
	Gemm(false, false, n, in, out, 1, dy, out, ws, in, 0, dx, in)
	Gemm(true, false, out, in, n, 1, dy, out, xs, in, 0, dw, in)
	k.expect("dx", toFloat64s(dx), tensor(t, lc.GradInputs, "grad input", "x"))
	k.expect("dw", toFloat64s(dw), tensor(t, lc.GradInputs, "grad input", "w"))
	if bias != nil {
		db := make([]T, out)
		BiasBackwardNCL(n, out, 1, dy, db)
		k.expect("db", toFloat64s(db), tensor(t, lc.GradInputs, "grad input", "b"))
	}
}

func goldenSoftmaxCE[T Float](t *testing.T, lc *layerCase, float32Run bool) {
	k := layerCheck{t, lc, float32Run}
	logits := tensor(t, lc.Inputs, "input", "logits")
	if r, ok := lc.Attrs["reduction"]; ok && string(r) != `"mean"` {
		t.Fatalf("reduction %s: the kernel takes the mean over the batch", r)
	}
	n, classes := logits.Shape[0], logits.Shape[1]
	ls, labels := asType[T](logits.Data), asType[T](tensor(t, lc.Inputs, "input", "labels").Data)
	loss, err := SoftmaxCrossEntropyForward(n, classes, ls, Labels(labels))
	if err != nil {
		t.Fatal(err)
	}
	k.expect("loss", []float64{float64(loss)}, tensor(t, lc.Outputs, "output", "loss"))
	dloss := tensor(t, lc.GradOutputs, "grad output", "loss").Data[0]
	grad := make([]T, len(ls))
	SoftmaxCrossEntropyBackward(n, classes, ls, Labels(labels), T(dloss), grad)
	k.expect("dlogits", toFloat64s(grad), tensor(t, lc.GradInputs, "grad input", "logits"))
}
