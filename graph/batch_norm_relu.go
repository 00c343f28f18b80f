package graph

import (
	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// A batch norm with a fused ReLU (bnKernel.relu) runs
// kernels.BatchNormRelu*: its backward kernels recompute the ReLU's mask from
// x, the statistics and, with the affine transform, γ and β, which they take
// as extra arguments.

// maskArgs are the forward's γ and β when the backward kernels recompute the
// ReLU's mask from them: with relu and the affine transform.
func (k bnKernel) maskArgs(in gorgonia.Nodes) gorgonia.Nodes {
	if k.relu && k.affine {
		return in[2:4]
	}
	return nil
}

// maskDims are the ranks of maskArgs.
func (k bnKernel) maskDims() []int {
	if k.relu && k.affine {
		return []int{1, 1}
	}
	return nil
}

// gammaBeta views the γ and β that maskArgs added at in[at:] (nil, nil
// without them).
func gammaBeta[T kernels.Float](k bnKernel, in []*Buffer, at int) (gamma, beta []T) {
	if !k.relu || !k.affine {
		return nil, nil
	}
	return view[T](in[at]), view[T](in[at+1])
}
