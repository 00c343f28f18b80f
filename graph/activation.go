package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// Activation is an elementwise nonlinearity.
type Activation int

const (
	ReLU Activation = iota
	LeakyReLU
	Tanh
	Sigmoid
	ReLU6
	SiLU
	Hardswish
	Hardsigmoid
)

func (a Activation) String() string {
	return [...]string{"relu", "leaky_relu", "tanh", "sigmoid", "relu6", "silu", "hardswish", "hardsigmoid"}[a]
}

// fromOutput reports whether the derivative is computed from the activation's
// output (tanh, sigmoid) rather than its input.
func (a Activation) fromOutput() bool { return a == Tanh || a == Sigmoid }

type activationKernel struct {
	fn    Activation
	slope float64 // leaky ReLU's negative slope
	rank  int
}

// Activate applies fn elementwise; slope is leaky ReLU's negative slope
// (PyTorch's default is 0.01) and is ignored by the others.
func Activate(x *gorgonia.Node, fn Activation, slope float64) (*gorgonia.Node, error) {
	return apply(activationKernel{fn: fn, slope: slope, rank: x.Dims()}, x)
}

func (k activationKernel) String() string {
	return fmt.Sprintf("%v(slope=%g,rank=%d)", k.fn, k.slope, k.rank)
}
func (k activationKernel) dims() []int                          { return []int{k.rank, k.rank} }
func (k activationKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k activationKernel) diffWRT() []bool                      { return []bool{true} }

func (k activationKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		activationForward(k, in[0].F32, out.F32)
	} else {
		activationForward(k, in[0].F64, out.F64)
	}
	return nil
}

func activationForward[T kernels.Float](k activationKernel, x, y []T) {
	switch k.fn {
	case ReLU:
		kernels.ReluForward(x, y)
	case LeakyReLU:
		kernels.LeakyReluForward(T(k.slope), x, y)
	case Tanh:
		kernels.TanhForward(x, y)
	case Sigmoid:
		kernels.SigmoidForward(x, y)
	case ReLU6:
		kernels.Relu6Forward(x, y)
	case SiLU:
		kernels.SiluForward(x, y)
	case Hardswish:
		kernels.HardswishForward(x, y)
	case Hardsigmoid:
		kernels.HardsigmoidForward(x, y)
	}
}

func (k activationKernel) symDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	from := in[0]
	if k.fn.fromOutput() {
		from = out
	}
	dx, err := apply(activationGradKernel{fwd: k}, from, grad)
	return gorgonia.Nodes{dx}, err
}

// activationGradKernel computes dx from (x or y, dy).
type activationGradKernel struct {
	noGrad
	fwd activationKernel
}

func (k activationGradKernel) String() string                       { return "grad_" + k.fwd.String() }
func (k activationGradKernel) dims() []int                          { r := k.fwd.rank; return []int{r, r, r} }
func (k activationGradKernel) inferShape(in [][]int) ([]int, error) { return in[1], nil }

func (k activationGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		activationBackward(k, in[0].F32, in[1].F32, out.F32)
	} else {
		activationBackward(k, in[0].F64, in[1].F64, out.F64)
	}
	return nil
}

func activationBackward[T kernels.Float](k activationGradKernel, from, dy, dx []T) {
	switch k.fwd.fn {
	case ReLU:
		kernels.ReluBackward(from, dy, dx)
	case LeakyReLU:
		kernels.LeakyReluBackward(T(k.fwd.slope), from, dy, dx)
	case Tanh:
		kernels.TanhBackward(from, dy, dx)
	case Sigmoid:
		kernels.SigmoidBackward(from, dy, dx)
	case ReLU6:
		kernels.Relu6Backward(from, dy, dx)
	case SiLU:
		kernels.SiluBackward(from, dy, dx)
	case Hardswish:
		kernels.HardswishBackward(from, dy, dx)
	case Hardsigmoid:
		kernels.HardsigmoidBackward(from, dy, dx)
	}
}

// reluGradFromOutput is the gradient through a ReLU fused into the op that
// computed out: ReLU's gradient kernel reads the output, which is positive
// (or NaN) exactly where the op's pre-activation value was.
// When grad is the sum of two gradients (out has two readers), the sum and
// the mask run as one step, and the sum itself is left unused; when one of
// them is a convolution's input gradient, that convolution's backward data
// pass joins the step too (reluGradSumConvKernel), its own step left unused.
func reluGradFromOutput(out, grad *gorgonia.Node) (*gorgonia.Node, error) {
	a, b, ok := gradientSumTerms(grad)
	if !ok {
		return apply(activationGradKernel{fwd: activationKernel{fn: ReLU, rank: out.Dims()}}, out, grad)
	}
	if a, b := convSumTerms(a, b); b != nil {
		args := argsOf(b) // (x, w, dy)
		return apply(reluGradSumConvKernel{conv: convData(b)}, out, a, args[0], args[1], args[2])
	}
	return apply(reluGradSumKernel{rank: out.Dims()}, out, a, b)
}

// reluGradSumKernel: (y, a, b) → a + b where y > 0 or NaN, else 0: ReLU's
// gradient, from its output y, of the sum of two gradients.
type reluGradSumKernel struct {
	noGrad
	rank int
}

func (k reluGradSumKernel) String() string                       { return fmt.Sprintf("grad_relu_sum(rank=%d)", k.rank) }
func (k reluGradSumKernel) dims() []int                          { return []int{k.rank, k.rank, k.rank, k.rank} }
func (k reluGradSumKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (k reluGradSumKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		kernels.ReluBackwardSum(in[0].F32, in[1].F32, in[2].F32, out.F32)
	} else {
		kernels.ReluBackwardSum(in[0].F64, in[1].F64, in[2].F64, out.F64)
	}
	return nil
}

// reluGradSumConvKernel: (y, a, x, w, dy) → a + (the input gradient of the
// convolution of x by w, from its output gradient dy) where y > 0 or NaN,
// else 0: reluGradSumKernel with a convolution's backward data pass in the
// same step (kernels.ReluBackwardSumConvBackward); x gives only the shape.
type reluGradSumConvKernel struct {
	noGrad
	conv convGradDataKernel
}

func (k reluGradSumConvKernel) String() string {
	return fmt.Sprintf("grad_relu_sum_conv2d_x(%+v)", k.conv.opt)
}
func (k reluGradSumConvKernel) dims() []int                          { return []int{4, 4, 4, 4, 4, 4} }
func (k reluGradSumConvKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k reluGradSumConvKernel) workspace(in [][]int) int {
	return kernels.ConvBackwardWorkspace(k.conv.opt.convShape(in[2], in[3]))
}

func (k reluGradSumConvKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	s := k.conv.opt.convShape(in[2].Shape, in[3].Shape)
	if out.F32 != nil {
		runLinked(k.conv.links, out.Shape, func(dw []float32, hooks kernels.ConvBackwardHooks[float32]) {
			kernels.ReluBackwardSumConvBackward(s, in[0].F32, in[1].F32, in[2].F32, in[3].F32, in[4].F32, out.F32, dw, ctx.work.F32, hooks)
		})
	} else {
		runLinked(k.conv.links, out.Shape, func(dw []float64, hooks kernels.ConvBackwardHooks[float64]) {
			kernels.ReluBackwardSumConvBackward(s, in[0].F64, in[1].F64, in[2].F64, in[3].F64, in[4].F64, out.F64, dw, ctx.work.F64, hooks)
		})
	}
	return nil
}
