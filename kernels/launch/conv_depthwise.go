package launch

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
)

// Depthwise convolutions (conv_depthwise.cu) run directly, without scratch.

func depthwiseArgs(s kernels.ConvShape, tensors ...cuda.Ptr) []cuda.Arg {
	args := []cuda.Arg{i(s.N), i(s.C), i(s.H), i(s.W), i(s.K), i(s.R), i(s.S), i(s.StrideH), i(s.StrideW),
		i(s.PadH), i(s.PadW), i(s.DilationH), i(s.DilationW), i(s.OutH()), i(s.OutW())}
	for _, t := range tensors {
		args = append(args, p(t))
	}
	return args
}

// DepthwiseConv2DForward is kernels.DepthwiseConv2DForward (bias 0: none).
func DepthwiseConv2DForward(s kernels.ConvShape, x, w, bias, y cuda.Ptr) cuda.Launch {
	return elementwise("DepthwiseConv2DForward", s.N*s.K*s.OutH()*s.OutW(), depthwiseArgs(s, x, w, bias, y)...)
}

// DepthwiseConv2DBackwardData is kernels.DepthwiseConv2DBackwardData.
func DepthwiseConv2DBackwardData(s kernels.ConvShape, w, dy, dx cuda.Ptr) cuda.Launch {
	return elementwise("DepthwiseConv2DBackwardData", s.N*s.C*s.H*s.W, depthwiseArgs(s, w, dy, dx)...)
}

// DepthwiseConv2DBackwardFilter is kernels.DepthwiseConv2DBackwardFilter: one
// block per filter tap.
func DepthwiseConv2DBackwardFilter(s kernels.ConvShape, x, dy, dw cuda.Ptr) cuda.Launch {
	return perChannel("DepthwiseConv2DBackwardFilter", s.K*s.R*s.S, depthwiseArgs(s, x, dy, dw)...)
}
