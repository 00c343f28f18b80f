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

// fusedBatchNormAddReLU is the node of max(a + r, 0) when a is a batch norm
// without ReLU of the same graph: a bnAddBnReluKernel when r is one too (a
// projection shortcut's), else a bnAddReluKernel; nil otherwise.
func fusedBatchNormAddReLU(a, r *gorgonia.Node) (*gorgonia.Node, error) {
	bn, args, ok := batchNormOf(a)
	if !ok || a.Graph() != r.Graph() {
		return nil, nil
	}
	if short, shortArgs, ok := batchNormOf(r); ok {
		return apply(bnAddBnReluKernel{bn: bn, short: short}, append(args, shortArgs...)...)
	}
	return apply(bnAddReluKernel{bn: bn}, append(args, r)...)
}

// batchNormOf returns the kernel and arguments of n when n is a batch norm
// without ReLU.
func batchNormOf(n *gorgonia.Node) (bnKernel, gorgonia.Nodes, bool) {
	o, ok := n.Op().(op)
	if !ok {
		return bnKernel{}, nil, false
	}
	bn, ok := o.k.(bnKernel)
	if !ok || bn.relu {
		return bnKernel{}, nil, false
	}
	return bn, argsOf(n), true
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

// bnAddBnReluKernel: (x, stats, [γ, β], xr, statsR, [γR, βR]) → max(batch
// norm of x + batch norm of xr, 0), the end of a residual block with a
// projection shortcut: neither batch norm's output is written.
type bnAddBnReluKernel struct{ bn, short bnKernel }

func (k bnAddBnReluKernel) String() string {
	return "batch_norm_add_relu" + k.bn.String()[len("batch_norm"):] + "+" + k.short.String()
}

// split cuts the arguments into the two batch norms'.
func (k bnAddBnReluKernel) split() int { return len(k.bn.dims()) - 1 }

func (k bnAddBnReluKernel) dims() []int {
	d, e := k.bn.dims(), k.short.dims()
	return append(append(slices.Clone(d[:len(d)-1]), e[:len(e)-1]...), k.bn.rank)
}

func (k bnAddBnReluKernel) inferShape(in [][]int) ([]int, error) {
	at := k.split()
	shape, err := k.bn.inferShape(in[:at])
	if err != nil {
		return nil, err
	}
	short, err := k.short.inferShape(in[at:])
	if err != nil {
		return nil, err
	}
	if !slices.Equal(short, shape) {
		return nil, fmt.Errorf("add: shapes %v and %v differ", shape, short)
	}
	return shape, nil
}

func (k bnAddBnReluKernel) diffWRT() []bool { return append(k.bn.diffWRT(), k.short.diffWRT()...) }

func (k bnAddBnReluKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	at := k.split()
	n, c, l := channels(in[0].Shape)
	if out.F32 != nil {
		kernels.BatchNormAddBatchNormReluForward(n, c, l, in[0].F32, affineOf[float32](k.bn, in[:at]), in[at].F32, affineOf[float32](k.short, in[at:]), out.F32)
	} else {
		kernels.BatchNormAddBatchNormReluForward(n, c, l, in[0].F64, affineOf[float64](k.bn, in[:at]), in[at].F64, affineOf[float64](k.short, in[at:]), out.F64)
	}
	return nil
}

// affineOf is the transform of batch norm k from its arguments (x, stats,
// [γ, β]).
func affineOf[T kernels.Float](k bnKernel, in []*Buffer) kernels.BatchNormAffine[T] {
	var gamma, beta *Buffer
	if k.affine {
		gamma, beta = in[2], in[3]
	}
	return transform(k, view[T](in[1]), view[T](gamma), view[T](beta))
}

// symDiff masks the gradient once, from the output, and gives it to both
// batch norms' gradients.
func (k bnAddBnReluKernel) symDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dz, err := reluGradFromOutput(out, grad)
	if err != nil {
		return nil, err
	}
	at := k.split()
	grads, err := k.bn.symDiff(in[:at], nil, dz)
	if err != nil {
		return nil, err
	}
	short, err := k.short.symDiff(in[at:], nil, dz)
	return append(grads, short...), err
}
