package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// linearKernel computes y = x·Wᵀ + b for x N×in, W out×in (PyTorch's layout),
// b of length out; with relu, max(y, 0) in the bias's pass over y.
type linearKernel struct{ bias, relu bool }

// Linear adds y = x·Wᵀ (+ b when b is not nil).
func Linear(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	return linear(linearKernel{bias: b != nil}, x, w, b)
}

// LinearReLU adds y = max(x·Wᵀ (+ b), 0): a linear layer and the ReLU after
// it, fused.
func LinearReLU(x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	return linear(linearKernel{bias: b != nil, relu: true}, x, w, b)
}

func linear(k linearKernel, x, w, b *gorgonia.Node) (*gorgonia.Node, error) {
	if b == nil {
		return apply(k, x, w)
	}
	return apply(k, x, w, b)
}

func (k linearKernel) String() string {
	if k.relu {
		return fmt.Sprintf("linear_relu(bias=%t)", k.bias)
	}
	return fmt.Sprintf("linear(bias=%t)", k.bias)
}

func (k linearKernel) dims() []int {
	if k.bias {
		return []int{2, 2, 1, 2}
	}
	return []int{2, 2, 2}
}

func (k linearKernel) inferShape(in [][]int) ([]int, error) {
	x, w := in[0], in[1]
	if len(x) != 2 || len(w) != 2 || x[1] != w[1] {
		return nil, fmt.Errorf("linear: input %v does not match weight %v (want N×%d)", x, w, w[len(w)-1])
	}
	if k.bias && (len(in[2]) != 1 || in[2][0] != w[0]) {
		return nil, fmt.Errorf("linear: bias %v does not match weight %v", in[2], w)
	}
	return []int{x[0], w[0]}, nil
}

func (k linearKernel) diffWRT() []bool {
	if k.bias {
		return []bool{true, true, true}
	}
	return []bool{true, true}
}

func (k linearKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, nin, nout := in[0].Shape[0], in[0].Shape[1], in[1].Shape[0]
	var b *Buffer
	if k.bias {
		b = in[2]
	}
	if out.F32 != nil {
		linearForward(k.relu, n, nin, nout, in[0].F32, in[1].F32, view[float32](b), out.F32)
	} else {
		linearForward(k.relu, n, nin, nout, in[0].F64, in[1].F64, view[float64](b), out.F64)
	}
	return nil
}

func linearForward[T kernels.Float](relu bool, n, nin, nout int, x, w, b, y []T) {
	kernels.Gemm(false, true, n, nout, nin, 1, x, nin, w, nin, 0, y, nout)
	switch {
	case relu && b != nil:
		kernels.BiasAddReluRows(n, nout, b, y)
	case relu:
		kernels.ReluForward(y, y)
	case b != nil:
		kernels.BiasAddNCL(n, nout, 1, b, y)
	}
}

func (k linearKernel) symDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if k.relu {
		var err error
		if grad, err = reluGradFromOutput(out, grad); err != nil {
			return nil, err
		}
	}
	dx, err := apply(linearGradKernel{wrt: "x"}, in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := apply(linearGradKernel{wrt: "w"}, in[0], grad)
	if err != nil {
		return nil, err
	}
	if !k.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := apply(biasGradKernel{rank: 2}, grad)
	return gorgonia.Nodes{dx, dw, db}, err
}

// linearGradKernel computes dx = dy·W from (W, dy), or dW = dyᵀ·x from (x, dy).
type linearGradKernel struct {
	noGrad
	wrt string
}

func (k linearGradKernel) String() string { return "grad_linear_" + k.wrt }
func (k linearGradKernel) dims() []int    { return []int{2, 2, 2} }

func (k linearGradKernel) inferShape(in [][]int) ([]int, error) {
	if k.wrt == "x" { // (W out×in, dy N×out) → N×in
		return []int{in[1][0], in[0][1]}, nil
	}
	return []int{in[1][1], in[0][1]}, nil // (x N×in, dy N×out) → out×in
}

func (k linearGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		linearBackward(k.wrt, in[0].Shape, in[1].Shape, in[0].F32, in[1].F32, out.F32)
	} else {
		linearBackward(k.wrt, in[0].Shape, in[1].Shape, in[0].F64, in[1].F64, out.F64)
	}
	return nil
}

func linearBackward[T kernels.Float](wrt string, s0, dyShape []int, a, dy, out []T) {
	n, nout := dyShape[0], dyShape[1]
	nin := s0[1]
	if wrt == "x" {
		kernels.Gemm(false, false, n, nin, nout, 1, dy, nout, a, nin, 0, out, nin)
		return
	}
	kernels.Gemm(true, false, nout, nin, n, 1, dy, nout, a, nin, 0, out, nin)
}

// biasGradKernel sums dy (N×C or N×C×H×W) over everything but the channel axis.
type biasGradKernel struct {
	noGrad
	rank int
}

func (k biasGradKernel) String() string                       { return fmt.Sprintf("grad_bias(rank=%d)", k.rank) }
func (k biasGradKernel) dims() []int                          { return []int{k.rank, 1} }
func (k biasGradKernel) inferShape(in [][]int) ([]int, error) { return []int{in[0][1]}, nil }

func (k biasGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	s := in[0].Shape
	n, c := s[0], s[1]
	l := ShapeSize(s[2:])
	if out.F32 != nil {
		kernels.BiasBackwardNCL(n, c, l, in[0].F32, out.F32)
	} else {
		kernels.BiasBackwardNCL(n, c, l, in[0].F64, out.F64)
	}
	return nil
}
