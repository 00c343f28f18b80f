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
func lowerZoo(s *Step, training bool, dp *deviceProgram) (cmds []command, handled, ok bool) {
	in, out := s.In, s.Out
	n := out.Len()
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
			cmds, ok := lower(s, false, dp)
			return cmds, true, ok
		}
	case bnGradKernel:
		if k.fwd.frozen && training {
			cmds, ok := lower(s, false, dp)
			return cmds, true, ok
		}
	case activationKernel:
		if f, found := forward[k.fn]; found {
			return launches(f(dp.ptr(in[0]), dp.ptr(out), n)), true, true
		}
	case activationGradKernel:
		if f, found := backward[k.fwd.fn]; found {
			return launches(f(dp.ptr(in[0]), dp.ptr(in[1]), dp.ptr(out), n)), true, true
		}
	case globalAvgPoolKernel:
		planes, hw := planes(in[0].Shape)
		return launches(launch.GlobalAvgPoolForward(planes, hw, dp.ptr(in[0]), dp.ptr(out))), true, true
	case globalAvgPoolGradKernel:
		planes, hw := planes(in[0].Shape)
		return launches(launch.GlobalAvgPoolBackward(planes, hw, dp.ptr(in[1]), dp.ptr(out))), true, true
	}
	return nil, false, false
}
