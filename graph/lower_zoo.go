package graph

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// lowerZoo lowers the ops that torchvision's networks brought (the mobile
// activations, global average pooling, frozen batch norms), ahead of lower's
// own cases; grouped and depthwise convolutions go through lower's
// convolution cases. handled says whether the step is one of them; ok whether
// it has CUDA launches (else it runs on the host).
func lowerZoo(s *Step, training bool, dp *deviceProgram) (run stepFunc, work int, handled, ok bool) {
	in, out := s.In, s.Out
	n := out.Len()
	one := func(build func(dp *deviceProgram) cuda.Launch) stepFunc {
		return func(dp *deviceProgram) func(q launch.Queue) error {
			l := build(dp)
			return func(q launch.Queue) error { return q.Launch(l) }
		}
	}
	type unary = func(x, y cuda.Ptr, n int) cuda.Launch
	type binary = func(x, dy, dx cuda.Ptr, n int) cuda.Launch
	forward := map[Activation]unary{
		ReLU6: launch.Relu6Forward, SiLU: launch.SiluForward,
		Hardswish: launch.HardswishForward, Hardsigmoid: launch.HardsigmoidForward,
	}
	backward := map[Activation]binary{
		ReLU6: launch.Relu6Backward, SiLU: launch.SiluBackward,
		Hardswish: launch.HardswishBackward, Hardsigmoid: launch.HardsigmoidBackward,
	}
	switch k := s.k.(type) {
	case bnStatsKernel:
		if k.frozen && training { // a frozen batch norm is lowered as in evaluation
			run, work, ok := lower(s, false, dp)
			return run, work, true, ok
		}
	case bnGradKernel:
		if k.fwd.frozen && training {
			run, work, ok := lower(s, false, dp)
			return run, work, true, ok
		}
	case activationKernel:
		if f, found := forward[k.fn]; found {
			return one(func(dp *deviceProgram) cuda.Launch { return f(dp.ptr(in[0]), dp.ptr(out), n) }), 0, true, true
		}
	case activationGradKernel:
		if f, found := backward[k.fwd.fn]; found {
			return one(func(dp *deviceProgram) cuda.Launch {
				return f(dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), n)
			}), 0, true, true
		}
	case globalAvgPoolKernel:
		planes, hw := planes(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.GlobalAvgPoolForward(planes, hw, dp.ptr(in[0]), dp.ptr(out))
		}), 0, true, true
	case globalAvgPoolGradKernel:
		planes, hw := planes(in[0].Shape)
		return one(func(dp *deviceProgram) cuda.Launch {
			return launch.GlobalAvgPoolBackward(planes, hw, dp.ptr(in[1]), dp.ptr(out))
		}), 0, true, true
	}
	return nil, 0, false, false
}
