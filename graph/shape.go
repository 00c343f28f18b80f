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

// addKernel adds two tensors of the same shape (residual connections).
type addKernel struct{ rank int }

// Add adds a and b, which must have the same shape.
func Add(a, b *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(addKernel{rank: a.Dims()}, a, b)
}

func (k addKernel) String() string  { return fmt.Sprintf("add(rank=%d)", k.rank) }
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
		kernels.Add(in[0].F32, in[1].F32, out.F32)
	} else {
		kernels.Add(in[0].F64, in[1].F64, out.F64)
	}
	return nil
}
func (k addKernel) symDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	return gorgonia.Nodes{grad, grad}, nil
}
