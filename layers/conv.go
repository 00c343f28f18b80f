package layers

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/graph"
)

// Conv2D is torch.nn.Conv2d: weights Out×In×KH×KW, an optional bias (on by
// default, as in PyTorch). Default init: PyTorch's (see Default).
type Conv2D struct {
	Name            string
	In, Out         int
	Kernel          [2]int
	Stride, Padding [2]int // zero stride means 1
	Dilation        [2]int // zero means 1
	NoBias          bool
	WeightInit      Init
}

func (l Conv2D) name() string { return l.Name }

// Build implements Layer.
func (l Conv2D) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	desc := fmt.Sprintf("conv2d %d→%d %dx%d", l.In, l.Out, l.Kernel[0], l.Kernel[1])
	s := x.Shape()
	if len(s) != 4 || s[1] != l.In {
		return nil, shapeErr(ctx, desc, s, fmt.Sprintf("N×%d×H×W", l.In))
	}
	shape := []int{l.Out, l.In, l.Kernel[0], l.Kernel[1]}
	w, b, err := ctx.weightAndBias(shape, l.WeightInit, !l.NoBias)
	if err != nil {
		return nil, err
	}
	y, err := graph.Conv2D(x, w, b, graph.ConvOptions{Stride: l.Stride, Padding: l.Padding, Dilation: l.Dilation})
	if err != nil {
		return nil, fmt.Errorf("layer %s (%s): %w", ctx.prefix, desc, err)
	}
	return y, nil
}

// weightAndBias adds a weight of the given shape and, if wanted, a bias
// initialized as PyTorch does: U(−1/√fan_in, 1/√fan_in).
func (c *Context) weightAndBias(shape []int, init Init, bias bool) (w, b *gorgonia.Node, err error) {
	if w, err = c.param("weight", graph.Weight, shape, init); err != nil || !bias {
		return w, nil, err
	}
	b, err = c.param("bias", graph.Bias, []int{shape[0]}, Init{Scheme: Default, biasOf: shape})
	return w, b, err
}
