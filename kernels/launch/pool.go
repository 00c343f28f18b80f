package launch

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
)

func poolArgs(s kernels.PoolShape, tensors ...cuda.Ptr) []cuda.Arg {
	args := []cuda.Arg{i(s.N), i(s.C), i(s.H), i(s.W), i(s.KH), i(s.KW), i(s.StrideH), i(s.StrideW), i(s.PadH), i(s.PadW)}
	for _, t := range tensors {
		args = append(args, p(t))
	}
	return args
}

func MaxPool2DForward(s kernels.PoolShape, x, y cuda.Ptr) cuda.Launch {
	return elementwise("MaxPool2DForward", s.N*s.C*s.OutH()*s.OutW(), poolArgs(s, x, y)...)
}
func MaxPool2DBackward(s kernels.PoolShape, x, dy, dx cuda.Ptr) cuda.Launch {
	return elementwise("MaxPool2DBackward", s.N*s.C*s.H*s.W, poolArgs(s, x, dy, dx)...)
}
func AvgPool2DForward(s kernels.PoolShape, x, y cuda.Ptr) cuda.Launch {
	return elementwise("AvgPool2DForward", s.N*s.C*s.OutH()*s.OutW(), poolArgs(s, x, y)...)
}
func AvgPool2DBackward(s kernels.PoolShape, dy, dx cuda.Ptr) cuda.Launch {
	return elementwise("AvgPool2DBackward", s.N*s.C*s.H*s.W, poolArgs(s, dy, dx)...)
}
