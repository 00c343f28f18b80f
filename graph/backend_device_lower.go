package graph

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// Lowering: each step of a Program becomes the CUDA twins of its kernels
// (package kernels/launch).

// stepFunc builds a step's queueing function once addresses are known.
type stepFunc = func(dp *deviceProgram) func(q launch.Queue) error

// lower maps a step to its CUDA launches: the queueing function, the scratch it
// needs (floats at dp.work) and whether the op has a CUDA twin. Dropout steps
// claim their seed slot in dp.dropouts here.
func lower(s *Step, training bool, dp *deviceProgram) (stepFunc, int, bool) {
	in, out := s.In, s.Out
	launches := func(build func(dp *deviceProgram) []cuda.Launch) stepFunc {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			ls := build(dp)
			return func(q launch.Queue) error {
				for _, l := range ls {
					if err := q.Launch(l); err != nil {
						return err
					}
				}
				return nil
			}
		}
	}
	one := func(build func(dp *deviceProgram) cuda.Launch) stepFunc {
		return launches(func(dp *deviceProgram) []cuda.Launch { return []cuda.Launch{build(dp)} })
	}
	queue := func(fn func(dp *deviceProgram, q launch.Queue) error) stepFunc {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			return func(q launch.Queue) error { return fn(dp, q) }
		}
	}
	copyIn := func(src *Buffer) stepFunc {
		return one(func(dp *deviceProgram) cuda.Launch { return launch.Copy(dp.ptr(out), dp.ptr(src), out.Len()) })
	}
	n := out.Len()

	switch k := s.k.(type) {
	case copyKernel, flattenKernel:
		return copyIn(in[0]), 0, true
	case reshapeLikeKernel:
		return copyIn(in[1]), 0, true
	case addKernel:
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.Add(dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), n)
		}), 0, true

	case convKernel:
		cs := k.opt.convShape(in[0].Shape, in[1].Shape)
		group := launch.ConvGroup(cs, launch.ConvGroupBudget)
		var bias *Buffer
		if k.bias {
			bias = in[2]
		}
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			return launch.Conv2DForward(q, cs, group, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(bias), dp.ptr(out), dp.work)
		}), launch.Conv2DWorkspace(cs, group), true
	case convGradDataKernel:
		cs := k.opt.convShape(in[0].Shape, in[1].Shape)
		group := launch.ConvGroup(cs, launch.ConvGroupBudget)
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			return launch.Conv2DBackwardData(q, cs, group, dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out), dp.work)
		}), launch.Conv2DWorkspace(cs, group), true
	case convGradFilterKernel:
		cs := k.opt.convShape(in[0].Shape, out.Shape)
		group := launch.ConvGroup(cs, launch.ConvGroupBudget)
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			return launch.Conv2DBackwardFilter(q, cs, group, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), dp.work)
		}), launch.Conv2DWorkspace(cs, group), true

	case linearKernel:
		rows, nin, nout := in[0].Shape[0], in[0].Shape[1], in[1].Shape[0]
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			if err := launch.Gemm(q, false, true, rows, nout, nin, 1, dp.ptr(in[0]), nin, dp.ptr(in[1]), nin, 0, dp.ptr(out), nout); err != nil {
				return err
			}
			if !k.bias {
				return nil
			}
			return q.Launch(launch.BiasAddNCL(rows, nout, 1, dp.ptr(in[2]), dp.ptr(out)))
		}), 0, true
	case linearGradKernel:
		rows, nout, nin := in[1].Shape[0], in[1].Shape[1], in[0].Shape[1]
		return queue(func(dp *deviceProgram, q launch.Queue) error {
			if k.wrt == "x" { // dx = dy·W
				return launch.Gemm(q, false, false, rows, nin, nout, 1, dp.ptr(in[1]), nout, dp.ptr(in[0]), nin, 0, dp.ptr(out), nin)
			}
			// dW = dyᵀ·x
			return launch.Gemm(q, true, false, nout, nin, rows, 1, dp.ptr(in[1]), nout, dp.ptr(in[0]), nin, 0, dp.ptr(out), nin)
		}), 0, true
	case biasGradKernel:
		bn, bc, bl := channels(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.BiasBackwardNCL(bn, bc, bl, dp.ptr(in[0]), dp.ptr(out))
		}), 0, true

	case bnStatsKernel:
		bn, bc, bl := channels(in[0].Shape)
		return launches(func(dp *deviceProgram) []cuda.Launch {
			mean, variance := dp.ptr(out), dp.ptr(out).F32(bc)
			if !training {
				return []cuda.Launch{launch.Copy(mean, dp.ptr(in[1]), bc), launch.Copy(variance, dp.ptr(in[2]), bc)}
			}
			return []cuda.Launch{
				launch.BatchNormStats(bn, bc, bl, dp.ptr(in[0]), mean, variance),
				launch.BatchNormUpdateRunning(bn*bl, float32(k.momentum), mean, variance, dp.ptr(in[1]), dp.ptr(in[2]), bc),
			}
		}), 0, true
	case bnKernel:
		bn, bc, bl := channels(in[0].Shape)
		var gamma, beta *Buffer
		if k.affine {
			gamma, beta = in[2], in[3]
		}
		return one(func(dp *deviceProgram) cuda.Launch {
			stats := dp.ptr(in[1])
			return launch.BatchNormForwardEval(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(beta), stats, stats.F32(bc), float32(k.eps), dp.ptr(out))
		}), 0, true
	case bnSumsKernel:
		bn, bc, bl := channels(in[0].Shape)
		return launches(func(dp *deviceProgram) []cuda.Launch {
			stats := dp.ptr(in[1])
			return []cuda.Launch{
				launch.BatchNormInvStd(bc, stats.F32(bc), k.fwd.eps, dp.work),
				launch.BatchNormBackward(bn, bc, bl, dp.ptr(in[0]), 0, dp.ptr(in[2]), stats, dp.work, 0, dp.ptr(out), dp.ptr(out).F32(bc)),
			}
		}), bc, true
	case rowKernel:
		bc := in[0].Shape[1]
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.Copy(dp.ptr(out), dp.ptr(in[0]).F32(k.row*bc), bc)
		}), 0, true
	case bnGradKernel: // (x, stats, sums, dy, [γ]) → dx
		bn, bc, bl := channels(in[0].Shape)
		var gamma *Buffer
		if k.fwd.affine {
			gamma = in[4]
		}
		return launches(func(dp *deviceProgram) []cuda.Launch {
			stats := dp.ptr(in[1])
			mean, variance := stats, stats.F32(bc)
			if !training {
				return []cuda.Launch{launch.BatchNormBackwardEval(bn, bc, bl, dp.ptr(gamma), variance, float32(k.fwd.eps), dp.ptr(in[3]), dp.ptr(out))}
			}
			sums := dp.ptr(in[2]) // Σ dy·x̂ and Σ dy, from bnSumsKernel
			return []cuda.Launch{
				launch.BatchNormInvStd(bc, variance, k.fwd.eps, dp.work),
				launch.BatchNormBackwardData(bn, bc, bl, dp.ptr(in[0]), dp.ptr(gamma), dp.ptr(in[3]), mean, dp.work, sums, sums.F32(bc), dp.ptr(out)),
			}
		}), bc, true

	case poolKernel:
		ps := k.opt.poolShape(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			if k.max {
				return launch.MaxPool2DForward(ps, dp.ptr(in[0]), dp.ptr(out))
			}
			return launch.AvgPool2DForward(ps, dp.ptr(in[0]), dp.ptr(out))
		}), 0, true
	case poolGradKernel:
		ps := k.fwd.opt.poolShape(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			if k.fwd.max {
				return launch.MaxPool2DBackward(ps, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))
			}
			return launch.AvgPool2DBackward(ps, dp.ptr(in[1]), dp.ptr(out))
		}), 0, true

	case activationKernel:
		slope := float32(k.slope)
		return one(func(dp *deviceProgram) cuda.Launch {
			x, y := dp.ptr(in[0]), dp.ptr(out)
			switch k.fn {
			case LeakyReLU:
				return launch.LeakyReluForward(slope, x, y, n)
			case Tanh:
				return launch.TanhForward(x, y, n)
			case Sigmoid:
				return launch.SigmoidForward(x, y, n)
			}
			return launch.ReluForward(x, y, n)
		}), 0, true
	case activationGradKernel:
		slope := float32(k.fwd.slope)
		return one(func(dp *deviceProgram) cuda.Launch {
			from, dy, dx := dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out)
			switch k.fwd.fn {
			case LeakyReLU:
				return launch.LeakyReluBackward(slope, from, dy, dx, n)
			case Tanh:
				return launch.TanhBackward(from, dy, dx, n)
			case Sigmoid:
				return launch.SigmoidBackward(from, dy, dx, n)
			}
			return launch.ReluBackward(from, dy, dx, n)
		}), 0, true

	case dropoutKernel:
		return lowerDropout(k, training, in[0], out, dp, launch.DropoutForward), 0, true
	case dropoutGradKernel:
		return lowerDropout(k.fwd, training, in[0], out, dp, launch.DropoutBackward), 0, true

	case mseKernel:
		count := in[0].Len()
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.MeanSquaredError(count, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))
		}), 0, true
	case mseGradKernel:
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.MeanSquaredErrorBackward(n, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out))
		}), 0, true
	case sceKernel:
		rows, classes := in[0].Shape[0], in[0].Shape[1]
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.SoftmaxCrossEntropyForward(rows, classes, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out))
		}), 0, true
	case sceGradKernel:
		rows, classes := in[0].Shape[0], in[0].Shape[1]
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.SoftmaxCrossEntropyBackward(rows, classes, dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(in[2]), dp.ptr(out))
		}), 0, true
	}
	return nil, 0, false
}

// lowerDropout is a dropout step (forward or backward): the identity in
// evaluation or for p = 0, else the Philox mask with this step's seed, which
// Run uploads into the step's slot.
func lowerDropout(k dropoutKernel, training bool, x, y *Buffer, dp *deviceProgram,
	build func(seed cuda.Ptr, prob float32, x, y cuda.Ptr, n int) cuda.Launch) stepFunc {
	n := y.Len()
	if !training || k.p == 0 {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			l := launch.Copy(dp.ptr(y), dp.ptr(x), n)
			return func(q launch.Queue) error { return q.Launch(l) }
		}
	}
	slot := len(dp.dropouts)
	dp.dropouts = append(dp.dropouts, k)
	return func(dp *deviceProgram) func(q launch.Queue) error {
		l := build(dp.seeds.Add(int64(8*slot)), float32(k.p), dp.ptr(x), dp.ptr(y), n)
		return func(q launch.Queue) error { return q.Launch(l) }
	}
}
