package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// bnAddReluKernel: (x, stats, [γ, β], r) → max(batch norm of x + r, 0), the
// end of a residual block whose body ends in a batch norm: AddReLU builds it
// in place of the sum of that batch norm's output, which no step then
// computes.
type bnAddReluKernel struct{ bn bnKernel }

// fusedBatchNormAddReLU is the bnAddReluKernel node of max(a + r, 0) when a
// is a batch norm without ReLU of the same graph, else nil.
func fusedBatchNormAddReLU(a, r *gorgonia.Node) (*gorgonia.Node, error) {
	o, ok := a.Op().(op)
	if !ok {
		return nil, nil
	}
	bn, ok := o.k.(bnKernel)
	if !ok || bn.relu || a.Graph() != r.Graph() {
		return nil, nil
	}
	var args gorgonia.Nodes
	for it := a.Graph().From(a.ID()); it.Next(); {
		args = append(args, it.Node().(*gorgonia.Node))
	}
	return apply(bnAddReluKernel{bn: bn}, append(args, r)...)
}

func (k bnAddReluKernel) String() string {
	return "batch_norm_add_relu" + k.bn.String()[len("batch_norm"):]
}

func (k bnAddReluKernel) dims() []int {
	d := k.bn.dims()
	return append(slices.Clone(d[:len(d)-1]), k.bn.rank, k.bn.rank)
}

func (k bnAddReluKernel) inferShape(in [][]int) ([]int, error) {
	shape, err := k.bn.inferShape(in[:len(in)-1])
	if err != nil {
		return nil, err
	}
	if r := in[len(in)-1]; !slices.Equal(r, shape) {
		return nil, fmt.Errorf("add: shapes %v and %v differ", shape, r)
	}
	return shape, nil
}

func (k bnAddReluKernel) diffWRT() []bool { return append(k.bn.diffWRT(), true) }

func (k bnAddReluKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	var gamma, beta *Buffer
	if k.bn.affine {
		gamma, beta = in[2], in[3]
	}
	r := in[len(in)-1]
	n, c, l := channels(in[0].Shape)
	if out.F32 != nil {
		kernels.BatchNormAddReluForward(n, c, l, in[0].F32, transform(k.bn, in[1].F32, view[float32](gamma), view[float32](beta)), r.F32, out.F32)
	} else {
		kernels.BatchNormAddReluForward(n, c, l, in[0].F64, transform(k.bn, in[1].F64, view[float64](gamma), view[float64](beta)), r.F64, out.F64)
	}
	return nil
}

// symDiff masks the gradient once, from the output, and gives it to the
// shortcut and to the batch norm's own gradient.
func (k bnAddReluKernel) symDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dz, err := reluGradFromOutput(out, grad)
	if err != nil {
		return nil, err
	}
	grads, err := k.bn.symDiff(in[:len(in)-1], nil, dz)
	if err != nil {
		return nil, err
	}
	return append(grads, dz), nil
}
