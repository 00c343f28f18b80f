package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// ConvOptions are a 2-D convolution's geometry, as in torch.nn.Conv2d.
type ConvOptions struct {
	Stride, Padding, Dilation [2]int // (height, width); zero stride/dilation mean 1
	Groups                    int    // channel groups (zero means 1); the input's channel count is depthwise
}

func (o ConvOptions) normalized() ConvOptions {
	for i := 0; i < 2; i++ {
		if o.Stride[i] == 0 {
			o.Stride[i] = 1
		}
		if o.Dilation[i] == 0 {
			o.Dilation[i] = 1
		}
	}
	if o.Groups == 0 {
		o.Groups = 1
	}
	return o
}

// convShape builds the kernel geometry for input x (N×C×H×W) and weight shape w.
func (o ConvOptions) convShape(x, w []int) kernels.ConvShape {
	return kernels.ConvShape{
		N: x[0], C: x[1], H: x[2], W: x[3], K: w[0], R: w[2], S: w[3],
		StrideH: o.Stride[0], StrideW: o.Stride[1], PadH: o.Padding[0], PadW: o.Padding[1],
		DilationH: o.Dilation[0], DilationW: o.Dilation[1], Groups: o.Groups,
	}
}

type convKernel struct {
	opt  ConvOptions
	bias bool
	// rowStats, set by the compiler when a training batch norm reads the
	// output, receives the output's row statistics for that batch norm's
	// statistics step (linkRowStats).
	rowStats *rowStatsLink
}

// Conv2D adds a convolution of x (N×C×H×W) with w (K×C/Groups×R×S) and, when
// b is not nil, a bias of length K.
func Conv2D(x, w, b *gorgonia.Node, opt ConvOptions) (*gorgonia.Node, error) {
	k := convKernel{opt: opt.normalized(), bias: b != nil}
	if b == nil {
		return apply(k, x, w)
	}
	return apply(k, x, w, b)
}

func (k convKernel) String() string { return fmt.Sprintf("conv2d(%+v,bias=%t)", k.opt, k.bias) }

func (k convKernel) dims() []int {
	if k.bias {
		return []int{4, 4, 1, 4}
	}
	return []int{4, 4, 4}
}

func (k convKernel) inferShape(in [][]int) ([]int, error) {
	x, w := in[0], in[1]
	if len(x) != 4 || len(w) != 4 || x[1] != w[1]*k.opt.Groups {
		return nil, fmt.Errorf("conv2d: input %v does not match weight %v with %d groups (want N×%d×H×W)", x, w, k.opt.Groups, w[1]*k.opt.Groups)
	}
	if k.bias && (len(in[2]) != 1 || in[2][0] != w[0]) {
		return nil, fmt.Errorf("conv2d: bias %v does not match weight %v", in[2], w)
	}
	s := k.opt.convShape(x, w)
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("conv2d: input %v, weight %v: %w", x, w, err)
	}
	return []int{s.N, s.K, s.OutH(), s.OutW()}, nil
}

func (k convKernel) diffWRT() []bool {
	if k.bias {
		return []bool{true, true, true}
	}
	return []bool{true, true}
}

func (k convKernel) workspace(in [][]int) int {
	return kernels.Conv2DWorkspace(k.opt.convShape(in[0], in[1]))
}

func (k convKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	s := k.opt.convShape(in[0].Shape, in[1].Shape)
	var b *Buffer
	if k.bias {
		b = in[2]
	}
	switch {
	case k.rowStats != nil && out.F32 != nil:
		kernels.Conv2DForwardRowStats(s, in[0].F32, in[1].F32, view[float32](b), out.F32, ctx.work.F32, k.rowStats.rows(s.N, s.K))
	case k.rowStats != nil:
		kernels.Conv2DForwardRowStats(s, in[0].F64, in[1].F64, view[float64](b), out.F64, ctx.work.F64, k.rowStats.rows(s.N, s.K))
	case out.F32 != nil:
		kernels.Conv2DForward(s, in[0].F32, in[1].F32, view[float32](b), out.F32, ctx.work.F32)
	default:
		kernels.Conv2DForward(s, in[0].F64, in[1].F64, view[float64](b), out.F64, ctx.work.F64)
	}
	return nil
}

func (k convKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(convGradDataKernel{opt: k.opt}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	ws := in[1].Shape()
	dw, err := apply(convGradFilterKernel{opt: k.opt, r: ws[2], s: ws[3]}, in[0], grad)
	if err != nil {
		return nil, err
	}
	if !k.bias {
		return gorgonia.Nodes{dx, dw}, nil
	}
	db, err := apply(biasGradKernel{rank: 4}, channelSumsOf(grad))
	return gorgonia.Nodes{dx, dw, db}, err
}

// channelSumsOf is a tensor with the channel sums of grad (a bias's
// gradient): grad itself, or, where grad is a max pooling's input gradient,
// the pooling's output gradient, a fraction of the size (a quarter for
// LeNet's 2×2 windows). Max pooling hands each output gradient to one input
// element, its window's maximum, and 0 to the others, so the sums agree
// (up to rounding).
func channelSumsOf(grad *gorgonia.Node) *gorgonia.Node {
	if o, ok := grad.Op().(op); !ok {
		return grad
	} else if k, ok := o.k.(poolGradKernel); !ok || !k.fwd.max {
		return grad
	}
	return argsOf(grad)[1] // (x, dy)
}

// convGradDataKernel computes dx from (x, w, dy); x gives only the shape.
// The compiler may link other steps to it (backward_links.go), whose
// results it then computes too, in the same pass over the images.
type convGradDataKernel struct {
	noGrad
	opt   ConvOptions
	links *backwardLinks
}

func (k convGradDataKernel) String() string                       { return fmt.Sprintf("grad_conv2d_x(%+v)", k.opt) }
func (k convGradDataKernel) dims() []int                          { return []int{4, 4, 4, 4} }
func (k convGradDataKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k convGradDataKernel) workspace(in [][]int) int {
	return kernels.ConvBackwardWorkspace(k.opt.convShape(in[0], in[1]))
}

func (k convGradDataKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	s := k.opt.convShape(in[0].Shape, in[1].Shape)
	if out.F32 != nil {
		runLinked(k.links, out.Shape, func(dw []float32, hooks kernels.ConvBackwardHooks[float32]) {
			kernels.Conv2DBackward(s, in[0].F32, in[1].F32, in[2].F32, out.F32, dw, ctx.work.F32, hooks)
		})
	} else {
		runLinked(k.links, out.Shape, func(dw []float64, hooks kernels.ConvBackwardHooks[float64]) {
			kernels.Conv2DBackward(s, in[0].F64, in[1].F64, in[2].F64, out.F64, dw, ctx.work.F64, hooks)
		})
	}
	return nil
}

// convSumTerms orders the terms of a sum of gradients as (rest, conv), conv
// being a convolution's input gradient that the sum's step computes itself
// (kernels.AddConvBackward, ReluBackwardSumConvBackward), or nil where neither is
// one. Of two, it takes a 1×1 convolution's (a downsampling shortcut's: as
// a strided one's, mostly zeros, the cheaper to keep out of memory).
func convSumTerms(a, b *gorgonia.Node) (rest, conv *gorgonia.Node) {
	pointwise := func(n *gorgonia.Node) bool {
		w := argsOf(n)[1].Shape() // (x, w, dy)
		return w[2] == 1 && w[3] == 1
	}
	switch {
	case isConvData(a) && (!isConvData(b) || pointwise(a) && !pointwise(b)):
		return b, a
	case isConvData(b):
		return a, b
	}
	return a, nil
}

// isConvData reports whether n is a convolution's input gradient.
func isConvData(n *gorgonia.Node) bool {
	o, ok := n.Op().(op)
	if ok {
		_, ok = o.k.(convGradDataKernel)
	}
	return ok
}

// convData is the kernel of the convolution input gradient n.
func convData(n *gorgonia.Node) convGradDataKernel { return n.Op().(op).k.(convGradDataKernel) }

// sumConvDataKernel: (a, x, w, dy) → a + (the input gradient of the
// convolution of x by w, from its output gradient dy): the sum of the
// gradients of a tensor read by a convolution and another op, with the
// convolution's backward data pass in the same step (kernels.AddConvBackward);
// x gives only the shape.
type sumConvDataKernel struct {
	noGrad
	conv convGradDataKernel
}

func (k sumConvDataKernel) String() string                       { return fmt.Sprintf("sum_grad_conv2d_x(%+v)", k.conv.opt) }
func (k sumConvDataKernel) dims() []int                          { return []int{4, 4, 4, 4, 4} }
func (k sumConvDataKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k sumConvDataKernel) workspace(in [][]int) int {
	return kernels.ConvBackwardWorkspace(k.conv.opt.convShape(in[1], in[2]))
}

func (k sumConvDataKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	s := k.conv.opt.convShape(in[1].Shape, in[2].Shape)
	if out.F32 != nil {
		runLinked(k.conv.links, out.Shape, func(dw []float32, hooks kernels.ConvBackwardHooks[float32]) {
			kernels.AddConvBackward(s, in[0].F32, in[1].F32, in[2].F32, in[3].F32, out.F32, dw, ctx.work.F32, hooks)
		})
	} else {
		runLinked(k.conv.links, out.Shape, func(dw []float64, hooks kernels.ConvBackwardHooks[float64]) {
			kernels.AddConvBackward(s, in[0].F64, in[1].F64, in[2].F64, in[3].F64, out.F64, dw, ctx.work.F64, hooks)
		})
	}
	return nil
}

// convGradFilterKernel computes dw (K×C×r×s) from (x, dy), unless linked
// to the convolution's backward data step (linkFilter), which then does.
// Linked to the input gradient step of the batch norm that produced dy
// (linkBatchNormData, where no backward data step reads dy), it computes
// dy image by image as it needs it.
type convGradFilterKernel struct {
	noGrad
	opt    ConvOptions
	r, s   int
	linked bool
	dy     *bnData
}

func (k convGradFilterKernel) String() string {
	return fmt.Sprintf("grad_conv2d_w(%+v,%dx%d)", k.opt, k.r, k.s)
}
func (k convGradFilterKernel) dims() []int { return []int{4, 4, 4} }
func (k convGradFilterKernel) inferShape(in [][]int) ([]int, error) {
	return []int{in[1][1], in[0][1] / k.opt.Groups, k.r, k.s}, nil
}
func (k convGradFilterKernel) workspace(in [][]int) int {
	w, _ := k.inferShape(in)
	return kernels.ConvFilterImagesWorkspace(k.opt.convShape(in[0], w))
}

func (k convGradFilterKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if k.linked {
		return nil
	}
	s := k.opt.convShape(in[0].Shape, out.Shape)
	if out.F32 != nil {
		filterPass(k.dy, s, in[0].F32, in[1].F32, out.F32, ctx.work.F32)
	} else {
		filterPass(k.dy, s, in[0].F64, in[1].F64, out.F64, ctx.work.F64)
	}
	return nil
}

// filterPass computes dw from x and dy, or, with g, from x and the output
// gradients that g's batch norm computes image by image.
func filterPass[T kernels.Float](g *bnData, s kernels.ConvShape, x, dy, dw, work []T) {
	if g == nil {
		kernels.Conv2DBackwardFilter(s, x, dy, dw, work)
		return
	}
	image, release := batchNormDataImages[T](g)
	defer release()
	kernels.Conv2DBackwardFilterImages(s, x, dy, dw, work, image)
}
