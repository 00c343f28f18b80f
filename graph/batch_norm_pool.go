package graph

import (
	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// BatchNormReluMaxPool is BatchNorm with its ReLU (opt.ReLU is implied)
// followed by MaxPool2D of 2×2 windows, stride 2, no padding
// (torch.nn.MaxPool2d(2)): a convolution block of LeNet or VGG. Where it
// pays, it is one op (kernels.BatchNormReluMaxPoolForward and its backward):
// an N×C×H×W input of planes from kernels.PoolPlaneMin to PoolPlaneMax
// elements, 2×2 or larger, a norm not frozen. The full-size activation and
// its gradient then never go to memory, and the values are bit for bit those
// of the two ops, which it builds otherwise.
func BatchNormReluMaxPool(x, gamma, beta, runMean, runVar *gorgonia.Node, opt BatchNormOptions) (*gorgonia.Node, error) {
	opt.ReLU = true
	s := x.Shape()
	if len(s) != 4 || opt.Frozen || s[2] < 2 || s[3] < 2 || s[2]*s[3] < kernels.PoolPlaneMin || s[2]*s[3] > kernels.PoolPlaneMax {
		y, err := BatchNorm(x, gamma, beta, runMean, runVar, opt)
		if err != nil {
			return nil, err
		}
		return MaxPool2D(y, PoolOptions{Kernel: [2]int{2, 2}})
	}
	return fusedBatchNormReluMaxPool(x, gamma, beta, runMean, runVar, opt)
}

// fusedBatchNormReluMaxPool is BatchNormReluMaxPool's fused op, whatever the
// plane size (up to kernels.PoolPlaneMax; the tests take small ones).
func fusedBatchNormReluMaxPool(x, gamma, beta, runMean, runVar *gorgonia.Node, opt BatchNormOptions) (*gorgonia.Node, error) {
	opt.ReLU = true
	stats, k, err := batchNormStats(x, gamma, beta, runMean, runVar, opt)
	if err != nil {
		return nil, err
	}
	fused := bnPoolKernel{bn: k}
	if gamma == nil {
		return apply(fused, x, stats)
	}
	return apply(fused, x, stats, gamma, beta)
}

// bnPoolKernel: (x, stats, [γ, β]) → max_pool2d(relu(batch norm of x)) over
// 2×2 windows: bn with its ReLU, then the pooling.
type bnPoolKernel struct{ bn bnKernel }

func (k bnPoolKernel) String() string  { return k.bn.String() + "_max_pool2x2" }
func (k bnPoolKernel) dims() []int     { return k.bn.dims() }
func (k bnPoolKernel) diffWRT() []bool { return k.bn.diffWRT() }

func (k bnPoolKernel) inferShape(in [][]int) ([]int, error) {
	if _, err := k.bn.inferShape(in); err != nil {
		return nil, err
	}
	s := poolShapeOf(in[0])
	return []int{s.N, s.C, s.OutH(), s.OutW()}, nil
}

// poolShapeOf is the fused pooling of an N×C×H×W input.
func poolShapeOf(x []int) kernels.PoolShape {
	return kernels.BatchNormReluPoolShape(x[0], x[1], x[2], x[3])
}

func (k bnPoolKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	s := in[0].Shape
	if out.F32 != nil {
		kernels.BatchNormReluMaxPoolForward(s[0], s[1], s[2], s[3], in[0].F32, bnPoolTransform[float32](k.bn, in), out.F32)
	} else {
		kernels.BatchNormReluMaxPoolForward(s[0], s[1], s[2], s[3], in[0].F64, bnPoolTransform[float64](k.bn, in), out.F64)
	}
	return nil
}

// bnPoolTransform is the normalization of a fused step whose arguments start
// with (x, stats, γ, β), γ and β only with the affine transform.
func bnPoolTransform[T kernels.Float](k bnKernel, in []*Buffer) kernels.BatchNormAffine[T] {
	var gamma, beta []T
	if k.affine {
		gamma, beta = view[T](in[2]), view[T](in[3])
	}
	return transform(k, view[T](in[1]), gamma, beta)
}

func (k bnPoolKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	x, stats, affine := in[0], in[1], in[2:]
	sums, err := apply(bnPoolSumsKernel{fwd: k}, append(gorgonia.Nodes{x, stats, grad}, affine...)...)
	if err != nil {
		return nil, err
	}
	dx, err := apply(bnPoolGradKernel{fwd: k}, append(gorgonia.Nodes{x, stats, sums, grad}, affine...)...)
	if err != nil {
		return nil, err
	}
	return bnGradients(dx, sums, k.bn.affine)
}

// bnPoolSumsKernel: (x, stats, dy, [γ, β]) → 2×C holding Σ g·x̂ and Σ g, g
// the gradient that reaches the normalization's output from dy, the pooled
// output's gradient.
type bnPoolSumsKernel struct {
	noGrad
	fwd bnPoolKernel
}

func (k bnPoolSumsKernel) String() string { return "grad_sums_" + k.fwd.String() }
func (k bnPoolSumsKernel) dims() []int {
	dims := []int{4, 2, 4}
	if k.fwd.bn.affine {
		dims = append(dims, 1, 1)
	}
	return append(dims, 2)
}
func (k bnPoolSumsKernel) inferShape(in [][]int) ([]int, error) { return in[1], nil }
func (k bnPoolSumsKernel) workspace(in [][]int) int             { return in[0][1] }

func (k bnPoolSumsKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		bnPoolSums(k.fwd.bn, in, ctx.work.F32, out.F32)
	} else {
		bnPoolSums(k.fwd.bn, in, ctx.work.F64, out.F64)
	}
	return nil
}

func bnPoolSums[T kernels.Float](k bnKernel, in []*Buffer, work, out []T) {
	s, x, stats, dy := in[0].Shape, view[T](in[0]), view[T](in[1]), view[T](in[2])
	c := s[1]
	p := bnPoolTransform[T](k, append([]*Buffer{in[0], in[1]}, in[3:]...))
	kernels.BatchNormReluMaxPoolBackward(s[0], c, s[2], s[3], x, p, dy, invStd(stats[c:], k.eps, work), out[:c], out[c:])
}

// bnPoolGradKernel computes dx from (x, stats, sums, dy, [γ, β]); in
// evaluation the statistics are constants and the sums are not read.
// Linked to the backward step of the convolution that reads its output
// (linkBatchNormData), it leaves its output to that step.
type bnPoolGradKernel struct {
	noGrad
	fwd    bnPoolKernel
	linked bool
}

func (k bnPoolGradKernel) String() string { return "grad_x_" + k.fwd.String() }
func (k bnPoolGradKernel) dims() []int {
	dims := []int{4, 2, 2, 4}
	if k.fwd.bn.affine {
		dims = append(dims, 1, 1)
	}
	return append(dims, 4)
}
func (k bnPoolGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k bnPoolGradKernel) workspace(in [][]int) int             { return in[0][1] }

func (k bnPoolGradKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if k.linked {
		return nil
	}
	if out.F32 != nil {
		bnPoolGrad(k.fwd.bn, ctx.training, in, ctx.work.F32, out.F32)
	} else {
		bnPoolGrad(k.fwd.bn, ctx.training, in, ctx.work.F64, out.F64)
	}
	return nil
}

func bnPoolGrad[T kernels.Float](k bnKernel, training bool, in []*Buffer, work, dx []T) {
	s, x, stats, sums, dy := in[0].Shape, view[T](in[0]), view[T](in[1]), view[T](in[2]), view[T](in[3])
	c := s[1]
	p := bnPoolTransform[T](k, append([]*Buffer{in[0], in[1]}, in[4:]...))
	if !training {
		kernels.BatchNormReluMaxPoolBackwardEval(s[0], c, s[2], s[3], x, p, dy, dx)
		return
	}
	kernels.BatchNormReluMaxPoolBackwardData(s[0], c, s[2], s[3], x, p, dy, invStd(stats[c:], k.eps, work), sums[:c], sums[c:], dx)
}
