package graph

import (
	"fmt"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// Lowering: each step of a Program becomes commands — launches of the CUDA
// twins of its kernels (package kernels/launch), GEMMs, convolutions — over
// the program's device addresses, appended to one flat list that queue runs
// in order. The workspace and the dropout seeds are laid out before the steps
// are lowered, from scratch and seeded.

// command is one entry of a lowered program.
type command interface {
	queue(q launch.Queue) error
}

// kernelLaunch is one kernel launch.
type kernelLaunch cuda.Launch

func (l kernelLaunch) queue(q launch.Queue) error { return q.Launch(cuda.Launch(l)) }

// launches makes commands of kernel launches.
func launches(ls ...cuda.Launch) []command {
	cmds := make([]command, len(ls))
	for i, l := range ls {
		cmds[i] = kernelLaunch(l)
	}
	return cmds
}

// gemm is C = op(A)·op(B) (alpha 1, beta 0), row-major as launch.Gemm takes it.
type gemm struct {
	transA, transB bool
	m, n, k        int
	a              cuda.Ptr
	lda            int
	b              cuda.Ptr
	ldb            int
	c              cuda.Ptr
	ldc            int
}

func (g gemm) queue(q launch.Queue) error {
	return launch.Gemm(q, g.transA, g.transB, g.m, g.n, g.k, 1, g.a, g.lda, g.b, g.ldb, 0, g.c, g.ldc)
}

// convPass is one of a convolution's three passes.
type convPass int

const (
	convForward        convPass = iota // a, b, bias, out: x, w, bias, y
	convBackwardData                   // a, b, out: w, dy, dx
	convBackwardFilter                 // a, b, out: x, dy, dw
)

// convolution is a convolution pass: im2col or col2im and GEMMs over groups
// of images, in the workspace.
type convolution struct {
	pass                  convPass
	shape                 kernels.ConvShape
	group                 int
	a, b, bias, out, work cuda.Ptr
}

func (c convolution) queue(q launch.Queue) error {
	switch c.pass {
	case convForward:
		return launch.Conv2DForward(q, c.shape, c.group, c.a, c.b, c.bias, c.out, c.work)
	case convBackwardData:
		return launch.Conv2DBackwardData(q, c.shape, c.group, c.a, c.b, c.out, c.work)
	}
	return launch.Conv2DBackwardFilter(q, c.shape, c.group, c.a, c.b, c.out, c.work)
}

// convPlan is a convolution step's shape and group of images.
func convPlan(s *Step) (kernels.ConvShape, int) {
	var cs kernels.ConvShape
	switch k := s.k.(type) {
	case convKernel:
		cs = k.opt.convShape(s.In[0].Shape, s.In[1].Shape)
	case convGradDataKernel:
		cs = k.opt.convShape(s.In[0].Shape, s.In[1].Shape)
	case reluGradSumConvKernel:
		cs = k.conv.opt.convShape(s.In[2].Shape, s.In[3].Shape)
	case sumConvDataKernel:
		cs = k.conv.opt.convShape(s.In[1].Shape, s.In[2].Shape)
	case convGradFilterKernel:
		cs = k.opt.convShape(s.In[0].Shape, s.Out.Shape)
	default:
		panic(fmt.Sprintf("graph: convPlan of %T", s.k))
	}
	return cs, launch.ConvGroup(cs, launch.ConvGroupBudget)
}

// scratch is the number of floats at dp.work that a step's commands use.
func scratch(s *Step) int {
	switch s.k.(type) {
	case convKernel, convGradDataKernel, convGradFilterKernel, reluGradSumConvKernel, sumConvDataKernel:
		return launch.Conv2DWorkspace(convPlan(s))
	case bnAddBnReluKernel:
		return s.Out.Len() // the shortcut's batch norm
	case bnSumsKernel, bnGradKernel:
		_, bc, _ := channels(s.In[0].Shape)
		if fusedReLU(s.k) {
			return bc + s.In[0].Len() // and the masked gradient
		}
		return bc
	case bnPoolKernel:
		return s.In[0].Len() // the normalization before the pooling
	case bnPoolSumsKernel, bnPoolGradKernel:
		return s.In[1].Shape[1] + 2*s.In[0].Len() // 1/√(var + eps), the normalization, the gradient
	}
	return 0
}

// pooledGradient computes, into the workspace past its first C floats, the
// normalization of a fused batch norm, ReLU and pooling step (arguments x,
// stats, …, with γ and β at in[affineAt:] when affine) and behind it the
// gradient that reaches the normalization from the pooled gradient dy, which
// it returns.
func pooledGradient(k bnKernel, in []*Buffer, dy cuda.Ptr, affineAt int, dp *deviceProgram) (cuda.Ptr, []command) {
	bn, bc, bl := channels(in[0].Shape)
	var gamma, beta cuda.Ptr
	if k.affine {
		gamma, beta = dp.ptr(in[affineAt]), dp.ptr(in[affineAt+1])
	}
	stats, n := dp.ptr(in[1]), in[0].Len()
	r, g := dp.work.F32(bc), dp.work.F32(bc+n)
	return g, launches(
		launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), gamma, beta, stats, stats.F32(bc), float32(k.eps), r),
		launch.ReluForward(r, r, n),
		launch.MaxPool2DBackward(poolShapeOf(in[0].Shape), r, dy, g),
		launch.ReluBackward(r, g, g, n),
	)
}

// deviceBatchNormEval normalizes the x of a batch norm's arguments (x,
// stats, [γ, β]) with its statistics into y.
func deviceBatchNormEval(k bnKernel, in []*Buffer, bn, bc, bl int, y cuda.Ptr, dp *deviceProgram) cuda.Launch {
	var gamma, beta *Buffer
	if k.affine {
		gamma, beta = in[2], in[3]
	}
	stats := dp.ptr(in[1])
	return launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(beta), stats, stats.F32(bc), float32(k.eps), y)
}

// seeded reports whether a dropout step draws a mask, and so needs a seed.
func seeded(k dropoutKernel, training bool) bool { return training && k.p != 0 }

// dropoutOf is the dropout of a dropout step, forward or backward.
func dropoutOf(s *Step) (dropoutKernel, bool) {
	switch k := s.k.(type) {
	case dropoutKernel:
		return k, true
	case dropoutGradKernel:
		return k.fwd, true
	}
	return dropoutKernel{}, false
}

// lower maps a step to its commands once the program's addresses are known;
// false when the op has no CUDA twin. Dropout steps claim their seed slot in
// dp.dropouts here.
func lower(s *Step, training bool, dp *deviceProgram) ([]command, bool) {
	if cmds, handled, ok := lowerZoo(s, training, dp); handled {
		return cmds, ok
	}
	in, out := s.In, s.Out
	n := out.Len()

	switch k := s.k.(type) {
	case copyKernel, flattenKernel:
		return launches(launch.Copy(dp.ptr(out), dp.ptr(in[0]), n)), true
	case reshapeLikeKernel:
		return launches(launch.Copy(dp.ptr(out), dp.ptr(in[1]), n)), true
	case addKernel:
		return withReLU(k.relu, dp.ptr(out), n, launch.Add(dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), n)), true

	case convKernel:
		cs, group := convPlan(s)
		var bias *Buffer
		if k.bias {
			bias = in[2]
		}
		return []command{convolution{convForward, cs, group, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(bias), dp.ptr(out), dp.work}}, true
	case convGradDataKernel:
		cs, group := convPlan(s)
		return []command{convolution{convBackwardData, cs, group, dp.ptr(in[1]), dp.ptr(in[2]), 0, dp.ptr(out), dp.work}}, true
	case convGradFilterKernel:
		cs, group := convPlan(s)
		return []command{convolution{convBackwardFilter, cs, group, dp.ptr(in[0]), dp.ptr(in[1]), 0, dp.ptr(out), dp.work}}, true

	case linearKernel:
		rows, nin, nout := in[0].Shape[0], in[0].Shape[1], in[1].Shape[0]
		cmds := []command{gemm{false, true, rows, nout, nin, dp.ptr(in[0]), nin, dp.ptr(in[1]), nin, dp.ptr(out), nout}}
		if k.bias {
			cmds = append(cmds, kernelLaunch(launch.BiasAddNCL(rows, nout, 1, dp.ptr(in[2]), dp.ptr(out))))
		}
		return append(cmds, withReLU(k.relu, dp.ptr(out), n)...), true
	case linearGradKernel:
		rows, nout, nin := in[1].Shape[0], in[1].Shape[1], in[0].Shape[1]
		if k.wrt == "x" { // dx = dy·W
			return []command{gemm{false, false, rows, nin, nout, dp.ptr(in[1]), nout, dp.ptr(in[0]), nin, dp.ptr(out), nin}}, true
		}
		// dW = dyᵀ·x
		return []command{gemm{true, false, nout, nin, rows, dp.ptr(in[1]), nout, dp.ptr(in[0]), nin, dp.ptr(out), nin}}, true
	case biasGradKernel:
		bn, bc, bl := channels(in[0].Shape)
		return launches(launch.BiasBackwardNCL(bn, bc, bl, dp.ptr(in[0]), dp.ptr(out))), true

	case bnStatsKernel:
		bn, bc, bl := channels(in[0].Shape)
		mean, variance := dp.ptr(out), dp.ptr(out).F32(bc)
		if !training {
			return launches(launch.Copy(mean, dp.ptr(in[1]), bc), launch.Copy(variance, dp.ptr(in[2]), bc)), true
		}
		return launches(
			launch.BatchNormStats(bn, bc, bl, dp.ptr(in[0]), mean, variance),
			launch.BatchNormUpdateRunning(bn*bl, float32(k.momentum), mean, variance, dp.ptr(in[1]), dp.ptr(in[2]), bc),
		), true
	case bnKernel:
		bn, bc, bl := channels(in[0].Shape)
		var gamma, beta *Buffer
		if k.affine {
			gamma, beta = in[2], in[3]
		}
		stats := dp.ptr(in[1])
		return withReLU(k.relu, dp.ptr(out), n, launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(beta), stats, stats.F32(bc), float32(k.eps), dp.ptr(out))), true
	case bnAddReluKernel: // (x, stats, [γ, β], r) → y
		bn, bc, bl := channels(in[0].Shape)
		var gamma, beta *Buffer
		if k.bn.affine {
			gamma, beta = in[2], in[3]
		}
		stats, y := dp.ptr(in[1]), dp.ptr(out)
		return withReLU(true, y, n,
			launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(beta), stats, stats.F32(bc), float32(k.bn.eps), y),
			launch.Add(y, dp.ptr(in[len(in)-1]), y, n)), true
	case bnAddBnReluKernel: // (x, stats, [γ, β], xr, statsR, [γR, βR]) → y: the shortcut's batch norm in scratch
		bn, bc, bl := channels(in[0].Shape)
		at := k.split()
		y := dp.ptr(out)
		return withReLU(true, y, n,
			deviceBatchNormEval(k.bn, in[:at], bn, bc, bl, y, dp),
			deviceBatchNormEval(k.short, in[at:], bn, bc, bl, dp.work, dp),
			launch.Add(y, dp.work, y, n)), true
	case bnSumsKernel:
		bn, bc, bl := channels(in[0].Shape)
		stats := dp.ptr(in[1])
		dy, mask := maskedGradient(k.fwd, in, 2, 3, dp)
		return append(mask, launches(
			launch.BatchNormInvStd(bc, stats.F32(bc), k.fwd.eps, dp.work),
			launch.BatchNormBackward(bn, bc, bl, dp.ptr(in[0]), 0, dy, stats, dp.work, 0, dp.ptr(out), dp.ptr(out).F32(bc)),
		)...), true
	case rowKernel:
		bc := in[0].Shape[1]
		return launches(launch.Copy(dp.ptr(out), dp.ptr(in[0]).F32(k.row*bc), bc)), true
	case bnGradKernel: // (x, stats, sums, dy, [γ]) → dx
		bn, bc, bl := channels(in[0].Shape)
		var gamma *Buffer
		if k.fwd.affine {
			gamma = in[4]
		}
		stats := dp.ptr(in[1])
		mean, variance := stats, stats.F32(bc)
		dy, mask := maskedGradient(k.fwd, in, 3, 4, dp)
		if !training {
			return append(mask, launches(launch.BatchNormBackwardEval(bn, bc, bl, dp.ptr(gamma), variance, float32(k.fwd.eps), dy, dp.ptr(out)))...), true
		}
		sums := dp.ptr(in[2]) // Σ dy·x̂ and Σ dy, from bnSumsKernel
		return append(mask, launches(
			launch.BatchNormInvStd(bc, variance, k.fwd.eps, dp.work),
			launch.BatchNormBackwardData(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dy, mean, dp.work, sums, sums.F32(bc), dp.ptr(out)),
		)...), true

	case bnPoolKernel: // (x, stats, [γ, β]) → y: the normalization in scratch, then pooled
		bn, bc, bl := channels(in[0].Shape)
		r, m := dp.work, in[0].Len()
		return launches(
			deviceBatchNormEval(k.bn, in, bn, bc, bl, r, dp),
			launch.ReluForward(r, r, m),
			launch.MaxPool2DForward(poolShapeOf(in[0].Shape), r, dp.ptr(out)),
		), true
	case bnPoolSumsKernel: // (x, stats, dy, [γ, β]) → Σ g·x̂, Σ g
		bn, bc, bl := channels(in[0].Shape)
		stats := dp.ptr(in[1])
		g, cmds := pooledGradient(k.fwd.bn, in, dp.ptr(in[2]), 3, dp)
		return append(cmds, launches(
			launch.BatchNormInvStd(bc, stats.F32(bc), k.fwd.bn.eps, dp.work),
			launch.BatchNormBackward(bn, bc, bl, dp.ptr(in[0]), 0, g, stats, dp.work, 0, dp.ptr(out), dp.ptr(out).F32(bc)),
		)...), true
	case bnPoolGradKernel: // (x, stats, sums, dy, [γ, β]) → dx
		bn, bc, bl := channels(in[0].Shape)
		var gamma cuda.Ptr
		if k.fwd.bn.affine {
			gamma = dp.ptr(in[4])
		}
		stats, sums := dp.ptr(in[1]), dp.ptr(in[2])
		g, cmds := pooledGradient(k.fwd.bn, in, dp.ptr(in[3]), 4, dp)
		if !training {
			return append(cmds, launches(launch.BatchNormBackwardEval(bn, bc, bl, gamma, stats.F32(bc), float32(k.fwd.bn.eps), g, dp.ptr(out)))...), true
		}
		return append(cmds, launches(
			launch.BatchNormInvStd(bc, stats.F32(bc), k.fwd.bn.eps, dp.work),
			launch.BatchNormBackwardData(bn, bc, bl, dp.ptr(in[0]), gamma, g, stats, dp.work, sums, sums.F32(bc), dp.ptr(out)),
		)...), true

	case poolKernel:
		ps := k.opt.poolShape(in[0].Shape)
		if k.max {
			return launches(launch.MaxPool2DForward(ps, dp.ptr(in[0]), dp.ptr(out))), true
		}
		return launches(launch.AvgPool2DForward(ps, dp.ptr(in[0]), dp.ptr(out))), true
	case poolGradKernel:
		ps := k.fwd.opt.poolShape(in[0].Shape)
		if k.fwd.max {
			return launches(launch.MaxPool2DBackward(ps, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))), true
		}
		return launches(launch.AvgPool2DBackward(ps, dp.ptr(in[1]), dp.ptr(out))), true

	case activationKernel:
		x, y := dp.ptr(in[0]), dp.ptr(out)
		switch k.fn {
		case LeakyReLU:
			return launches(launch.LeakyReluForward(float32(k.slope), x, y, n)), true
		case Tanh:
			return launches(launch.TanhForward(x, y, n)), true
		case Sigmoid:
			return launches(launch.SigmoidForward(x, y, n)), true
		}
		return launches(launch.ReluForward(x, y, n)), true
	case activationGradKernel:
		from, dy, dx := dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out)
		switch k.fwd.fn {
		case LeakyReLU:
			return launches(launch.LeakyReluBackward(float32(k.fwd.slope), from, dy, dx, n)), true
		case Tanh:
			return launches(launch.TanhBackward(from, dy, dx, n)), true
		case Sigmoid:
			return launches(launch.SigmoidBackward(from, dy, dx, n)), true
		}
		return launches(launch.ReluBackward(from, dy, dx, n)), true
	case reluGradSumKernel: // the sum into dx, then masked in place
		dx := dp.ptr(out)
		return launches(launch.Add(dp.ptr(in[1]), dp.ptr(in[2]), dx, n), launch.ReluBackward(dp.ptr(in[0]), dx, dx, n)), true
	case sumConvDataKernel: // the convolution's gradient into dx, then summed in place
		cs, group := convPlan(s)
		dx := dp.ptr(out)
		return append([]command{convolution{convBackwardData, cs, group, dp.ptr(in[2]), dp.ptr(in[3]), 0, dx, dp.work}},
			launches(launch.Add(dp.ptr(in[0]), dx, dx, n))...), true
	case reluGradSumConvKernel: // the convolution's gradient into dx, then summed and masked in place
		cs, group := convPlan(s)
		dx := dp.ptr(out)
		return append([]command{convolution{convBackwardData, cs, group, dp.ptr(in[3]), dp.ptr(in[4]), 0, dx, dp.work}},
			launches(launch.Add(dp.ptr(in[1]), dx, dx, n), launch.ReluBackward(dp.ptr(in[0]), dx, dx, n))...), true

	case dropoutKernel:
		return lowerDropout(k, training, in[0], out, dp, launch.DropoutForward), true
	case dropoutGradKernel:
		return lowerDropout(k.fwd, training, in[0], out, dp, launch.DropoutBackward), true

	case mseKernel:
		count := in[0].Len()
		return launches(launch.MeanSquaredError(count, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))), true
	case mseGradKernel:
		return launches(launch.MeanSquaredErrorBackward(n, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out))), true
	case sceKernel:
		rows, classes := in[0].Shape[0], in[0].Shape[1]
		return launches(launch.SoftmaxCrossEntropyForward(rows, classes, dp.ptr(in[0]), deviceTarget(k, in, dp), dp.ptr(out))), true
	case sceGradKernel:
		rows, classes := in[0].Shape[0], in[0].Shape[1]
		return launches(launch.SoftmaxCrossEntropyBackward(rows, classes, dp.ptr(in[0]), deviceTarget(k.fwd, in, dp), dp.ptr(in[len(in)-1]), dp.ptr(out))), true
	}
	return nil, false
}

// deviceTarget is the device form of the targets and weights among a
// cross-entropy step's arguments.
func deviceTarget(k sceKernel, in []*Buffer, dp *deviceProgram) launch.CrossEntropyTarget {
	t := launch.CrossEntropyTarget{Values: dp.ptr(in[1]), Soft: k.soft, Smoothing: float32(k.smoothing)}
	if k.weighted {
		t.Weights = dp.ptr(in[2])
	}
	return t
}

// lowerDropout is a dropout step (forward or backward): the identity in
// evaluation or for p = 0, else the Philox mask with this step's seed, which
// Run uploads into the step's slot.
func lowerDropout(k dropoutKernel, training bool, x, y *Buffer, dp *deviceProgram,
	build func(seed cuda.Ptr, prob float32, x, y cuda.Ptr, n int) cuda.Launch) []command {
	n := y.Len()
	if !seeded(k, training) {
		return launches(launch.Copy(dp.ptr(y), dp.ptr(x), n))
	}
	slot := len(dp.dropouts)
	dp.dropouts = append(dp.dropouts, k)
	return launches(build(dp.seeds.Add(int64(8*slot)), float32(k.p), dp.ptr(x), dp.ptr(y), n))
}

// withReLU is the launches ls followed, with relu, by a ReLU over their
// output y (n elements) in place: the device runs a fused ReLU as a launch of
// its own.
func withReLU(relu bool, y cuda.Ptr, n int, ls ...cuda.Launch) []command {
	if relu {
		ls = append(ls, launch.ReluForward(y, y, n))
	}
	return launches(ls...)
}

// fusedReLU reports whether a batch norm's backward step follows a fused ReLU.
func fusedReLU(k kernel) bool {
	switch k := k.(type) {
	case bnSumsKernel:
		return k.fwd.relu
	case bnGradKernel:
		return k.fwd.relu
	}
	return false
}

// maskedGradient is the gradient at in[dyAt] of a batch norm's backward step
// (γ and β, when affine, at in[affineAt:]): as it is, or after a fused ReLU
// masked where the recomputed forward output is not positive, into the
// workspace past its first C floats, by the returned launches.
func maskedGradient(k bnKernel, in []*Buffer, dyAt, affineAt int, dp *deviceProgram) (cuda.Ptr, []command) {
	dy := dp.ptr(in[dyAt])
	if !k.relu {
		return dy, nil
	}
	bn, bc, bl := channels(in[0].Shape)
	var gamma, beta cuda.Ptr
	if k.affine {
		gamma, beta = dp.ptr(in[affineAt]), dp.ptr(in[affineAt+1])
	}
	stats, masked, n := dp.ptr(in[1]), dp.work.F32(bc), in[0].Len()
	return masked, launches(
		launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), gamma, beta, stats, stats.F32(bc), float32(k.eps), masked),
		launch.ReluBackward(masked, dy, masked, n),
	)
}
