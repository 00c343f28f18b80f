package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// flattenKernel reshapes N×… to N×(product of the rest).
type flattenKernel struct{ rank int }

// Flatten reshapes x to N×(everything else).
func Flatten(x *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(flattenKernel{rank: x.Dims()}, x)
}

func (k flattenKernel) String() string  { return fmt.Sprintf("flatten(rank=%d)", k.rank) }
func (k flattenKernel) dims() []int     { return []int{k.rank, 2} }
func (k flattenKernel) diffWRT() []bool { return []bool{true} }
func (k flattenKernel) inferShape(in [][]int) ([]int, error) {
	return []int{in[0][0], ShapeSize(in[0][1:])}, nil
}
func (k flattenKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	out.CopyFrom(in[0])
	return nil
}
func (k flattenKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(reshapeLikeKernel{rank: k.rank}, in[0], grad)
	return gorgonia.Nodes{dx}, err
}

// reshapeLikeKernel copies its second argument into the shape of its first.
type reshapeLikeKernel struct {
	noGrad
	rank int
}

func (k reshapeLikeKernel) String() string                       { return fmt.Sprintf("reshape_like(rank=%d)", k.rank) }
func (k reshapeLikeKernel) dims() []int                          { return []int{k.rank, 2, k.rank} }
func (k reshapeLikeKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k reshapeLikeKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	out.CopyFrom(in[1])
	return nil
}

// addKernel adds two tensors of the same shape (residual connections), with
// relu then clamping the sum at 0 in the same pass.
type addKernel struct {
	rank int
	relu bool
}

// Add adds a and b, which must have the same shape.
func Add(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(addKernel{rank: a.Dims()}, a, b)
}

// AddReLU is max(a + b, 0), the sum and the ReLU fused: a residual block's
// end. When a (or else b) is a batch norm's output, the normalization joins
// them: the sum then reads the batch norm's input, and the batch norm's own
// output is left to any other reader.
func AddReLU(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	for _, terms := range [][2]*gorgonia.Node{{a, b}, {b, a}} {
		if n, err := fusedBatchNormAddReLU(terms[0], terms[1]); n != nil || err != nil {
			return n, err
		}
	}
	return apply(addKernel{rank: a.Dims(), relu: true}, a, b)
}

func (k addKernel) String() string {
	if k.relu {
		return fmt.Sprintf("add_relu(rank=%d)", k.rank)
	}
	return fmt.Sprintf("add(rank=%d)", k.rank)
}
func (k addKernel) dims() []int     { return []int{k.rank, k.rank, k.rank} }
func (k addKernel) diffWRT() []bool { return []bool{true, true} }
func (k addKernel) inferShape(in [][]int) ([]int, error) {
	if !slices.Equal(in[0], in[1]) {
		return nil, fmt.Errorf("add: shapes %v and %v differ", in[0], in[1])
	}
	return in[0], nil
}
func (k addKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		addForward(k.relu, in[0].F32, in[1].F32, out.F32)
	} else {
		addForward(k.relu, in[0].F64, in[1].F64, out.F64)
	}
	return nil
}

func addForward[T kernels.Float](relu bool, a, b, out []T) {
	if relu {
		kernels.AddRelu(a, b, out)
		return
	}
	kernels.Add(a, b, out)
}

// symDiff passes the gradient to both terms as it is: one node, no copy. With
// relu it is masked once, from the output (positive exactly where the sum is).
func (k addKernel) symDiff(_ gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if k.relu {
		var err error
		if grad, err = reluGradFromOutput(out, grad); err != nil {
			return nil, err
		}
	}
	return gorgonia.Nodes{grad, grad}, nil
}
