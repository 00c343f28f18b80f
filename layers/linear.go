package layers

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/graph"
)

// Linear is torch.nn.Linear: y = x·Wᵀ + b with W Out×In and an optional bias (on
// by default). Default init: PyTorch's (see Default).
type Linear struct {
	Name       string
	In, Out    int
	NoBias     bool
	WeightInit Init
	ZeroBias   bool // the bias starts at 0 instead of PyTorch's default draw
}

func (l Linear) name() string { return l.Name }

// Build implements Layer.
func (l Linear) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.build(ctx, x, graph.Linear)
}

func (l Linear) buildReLU(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.build(ctx, x, graph.LinearReLU)
}

// build adds the layer's parameters and op, graph.Linear or graph.LinearReLU.
func (l Linear) build(ctx *Context, x *gorgonia.Node, op func(x, w, b *gorgonia.Node) (*gorgonia.Node, error)) (*gorgonia.Node, error) {
	desc := fmt.Sprintf("linear %d→%d", l.In, l.Out)
	s := x.Shape()
	if len(s) != 2 || s[1] != l.In {
		return nil, shapeErr(ctx, desc, s, fmt.Sprintf("N×%d", l.In))
	}
	shape := []int{l.Out, l.In}
	biasInit := Init{Scheme: Default, biasOf: shape}
	if l.ZeroBias {
		biasInit = Init{Scheme: Zeros}
	}
	w, b, err := ctx.weightAndBias(shape, l.WeightInit, !l.NoBias, biasInit)
	if err != nil {
		return nil, err
	}
	y, err := op(x, w, b)
	if err != nil {
		return nil, fmt.Errorf("layer %s (%s): %w", ctx.prefix, desc, err)
	}
	return y, nil
}
