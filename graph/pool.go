package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// PoolOptions are a 2-D pooling window, as in torch.nn.MaxPool2d/AvgPool2d.
type PoolOptions struct {
	Kernel, Stride, Padding [2]int // (height, width); zero stride means the kernel size
}

func (o PoolOptions) poolShape(x []int) kernels.PoolShape {
	s := kernels.PoolShape{
		N: x[0], C: x[1], H: x[2], W: x[3], KH: o.Kernel[0], KW: o.Kernel[1],
		StrideH: o.Stride[0], StrideW: o.Stride[1], PadH: o.Padding[0], PadW: o.Padding[1],
	}
	if s.StrideH == 0 {
		s.StrideH = s.KH
	}
	if s.StrideW == 0 {
		s.StrideW = s.KW
	}
	return s
}

type poolKernel struct {
	max bool // max pooling, else average (padding counted, as PyTorch's default)
	opt PoolOptions
}

// MaxPool2D adds max pooling of x (N×C×H×W).
func MaxPool2D(x *gorgonia.Node, opt PoolOptions) (*gorgonia.Node, error) {
	return apply(poolKernel{max: true, opt: opt}, x)
}

// AvgPool2D adds average pooling of x (N×C×H×W); padding counts as zeros.
func AvgPool2D(x *gorgonia.Node, opt PoolOptions) (*gorgonia.Node, error) {
	return apply(poolKernel{opt: opt}, x)
}

// GlobalAvgPool averages each channel of x (N×C×H×W) to N×C×1×1, as
// torch.nn.AdaptiveAvgPool2d(1) does, whatever the input's height and width.
func GlobalAvgPool(x *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(globalAvgPoolKernel{}, x)
}

type globalAvgPoolKernel struct{}

func (globalAvgPoolKernel) String() string  { return "adaptive_avg_pool2d(1x1)" }
func (globalAvgPoolKernel) dims() []int     { return []int{4, 4} }
func (globalAvgPoolKernel) diffWRT() []bool { return []bool{true} }

func (globalAvgPoolKernel) inferShape(in [][]int) ([]int, error) {
	if s := in[0]; len(s) != 4 || ShapeSize(s) == 0 {
		return nil, fmt.Errorf("global average pool: input %v is not N×C×H×W", s)
	}
	return []int{in[0][0], in[0][1], 1, 1}, nil
}

// planes gives the number of planes and their size for input shape x.
func planes(x []int) (int, int) { return x[0] * x[1], x[2] * x[3] }

func (globalAvgPoolKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, hw := planes(in[0].Shape)
	if out.F32 != nil {
		kernels.GlobalAvgPoolForward(n, hw, in[0].F32, out.F32)
	} else {
		kernels.GlobalAvgPoolForward(n, hw, in[0].F64, out.F64)
	}
	return nil
}

func (globalAvgPoolKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(globalAvgPoolGradKernel{}, in[0], grad)
	return gorgonia.Nodes{dx}, err
}

// globalAvgPoolGradKernel computes dx from (x, dy); x gives only the shape.
type globalAvgPoolGradKernel struct{ noGrad }

func (globalAvgPoolGradKernel) String() string                       { return "grad_adaptive_avg_pool2d(1x1)" }
func (globalAvgPoolGradKernel) dims() []int                          { return []int{4, 4, 4} }
func (globalAvgPoolGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (globalAvgPoolGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, hw := planes(in[0].Shape)
	if out.F32 != nil {
		kernels.GlobalAvgPoolBackward(n, hw, in[1].F32, out.F32)
	} else {
		kernels.GlobalAvgPoolBackward(n, hw, in[1].F64, out.F64)
	}
	return nil
}

func (k poolKernel) String() string {
	kind := "avg_pool2d"
	if k.max {
		kind = "max_pool2d"
	}
	return fmt.Sprintf("%s(%+v)", kind, k.opt)
}
func (k poolKernel) dims() []int     { return []int{4, 4} }
func (k poolKernel) diffWRT() []bool { return []bool{true} }

func (k poolKernel) inferShape(in [][]int) ([]int, error) {
	if len(in[0]) != 4 {
		return nil, fmt.Errorf("pool2d: input %v is not N×C×H×W", in[0])
	}
	s := k.opt.poolShape(in[0])
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("pool2d: input %v: %w", in[0], err)
	}
	return []int{s.N, s.C, s.OutH(), s.OutW()}, nil
}

func (k poolKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	s := k.opt.poolShape(in[0].Shape)
	switch {
	case k.max && out.F32 != nil:
		kernels.MaxPool2DForward(s, in[0].F32, out.F32)
	case k.max:
		kernels.MaxPool2DForward(s, in[0].F64, out.F64)
	case out.F32 != nil:
		kernels.AvgPool2DForward(s, in[0].F32, out.F32)
	default:
		kernels.AvgPool2DForward(s, in[0].F64, out.F64)
	}
	return nil
}

func (k poolKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(poolGradKernel{fwd: k}, in[0], grad)
	return gorgonia.Nodes{dx}, err
}

// poolGradKernel computes dx from (x, dy).
type poolGradKernel struct {
	noGrad
	fwd poolKernel
}

func (k poolGradKernel) String() string                       { return "grad_" + k.fwd.String() }
func (k poolGradKernel) dims() []int                          { return []int{4, 4, 4} }
func (k poolGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (k poolGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	s := k.fwd.opt.poolShape(in[0].Shape)
	switch {
	case k.fwd.max && out.F32 != nil:
		kernels.MaxPool2DBackward(s, in[0].F32, in[1].F32, out.F32)
	case k.fwd.max:
		kernels.MaxPool2DBackward(s, in[0].F64, in[1].F64, out.F64)
	case out.F32 != nil:
		kernels.AvgPool2DBackward(s, in[1].F32, out.F32)
	default:
		kernels.AvgPool2DBackward(s, in[1].F64, out.F64)
	}
	return nil
}
