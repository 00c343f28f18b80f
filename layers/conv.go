package layers

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/graph"
)

// Conv2D is torch.nn.Conv2d: weights Out×(In/Groups)×KH×KW, an optional bias
// (on by default, as in PyTorch). Default init: PyTorch's (see Default).
type Conv2D struct {
	Name            string
	In, Out         int
	Kernel          [2]int
	Stride, Padding [2]int // zero stride means 1
	Dilation        [2]int // zero means 1
	Groups          int    // zero means 1; In for a depthwise convolution
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
	groups := max(1, l.Groups)
	if l.Groups < 0 || l.In%groups != 0 || l.Out%groups != 0 {
		return nil, fmt.Errorf("layer %s (%s): %d groups do not divide %d input and %d output channels", ctx.prefix, desc, l.Groups, l.In, l.Out)
	}
	shape := []int{l.Out, l.In / groups, l.Kernel[0], l.Kernel[1]}
	w, b, err := ctx.weightAndBias(shape, l.WeightInit, !l.NoBias, Init{Scheme: Default, biasOf: shape})
	if err != nil {
		return nil, err
	}
	y, err := graph.Conv2D(x, w, b, graph.ConvOptions{Stride: l.Stride, Padding: l.Padding, Dilation: l.Dilation, Groups: groups})
	if err != nil {
		return nil, fmt.Errorf("layer %s (%s): %w", ctx.prefix, desc, err)
	}
	return y, nil
}

// weightAndBias adds a weight of the given shape and, if wanted, a bias drawn
// by biasInit (PyTorch's default is U(−1/√fan_in, 1/√fan_in)).
func (c *Context) weightAndBias(shape []int, init Init, bias bool, biasInit Init) (w, b *gorgonia.Node, err error) {
	if w, err = c.param("weight", graph.Weight, shape, init); err != nil || !bias {
		return w, nil, err
	}
	b, err = c.param("bias", graph.Bias, []int{shape[0]}, biasInit)
	return w, b, err
}
