package layers

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/graph"
)

// BatchNorm is torch.nn.BatchNorm1d (on N×C inputs) and BatchNorm2d (on
// N×C×H×W): γ = 1 and β = 0 initially, running mean 0 and variance 1, eps 1e-5
// and momentum 0.1 unless set. Parameters: weight (γ), bias (β), running_mean,
// running_var.
type BatchNorm struct {
	Name     string
	Channels int
	Eps      float64 // 0 means 1e-5
	Momentum float64 // 0 means 0.1
	NoAffine bool    // no γ and β
}

func (l BatchNorm) name() string { return l.Name }

// Build implements Layer.
func (l BatchNorm) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.build(ctx, x, false, false)
}

func (l BatchNorm) buildReLU(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.build(ctx, x, true, false)
}

// buildReLUMaxPool builds the layer, a ReLU and a 2×2 max pooling of stride
// 2 as one op (graph.BatchNormReluMaxPool).
func (l BatchNorm) buildReLUMaxPool(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return l.build(ctx, x, true, true)
}

// build adds the layer's parameters and op, with relu followed by a ReLU,
// with pool by the ReLU and a 2×2 max pooling.
func (l BatchNorm) build(ctx *Context, x *gorgonia.Node, relu, pool bool) (*gorgonia.Node, error) {
	desc := fmt.Sprintf("batch norm %d", l.Channels)
	s := x.Shape()
	if (len(s) != 2 && len(s) != 4) || s[1] != l.Channels {
		return nil, shapeErr(ctx, desc, s, fmt.Sprintf("N×%d or N×%d×H×W", l.Channels, l.Channels))
	}
	c := []int{l.Channels}
	var gamma, beta *gorgonia.Node
	var err error
	if !l.NoAffine {
		if gamma, err = ctx.param("weight", graph.NormScale, c, Init{Scheme: Constant, Value: 1}); err != nil {
			return nil, err
		}
		if beta, err = ctx.param("bias", graph.NormShift, c, Init{Scheme: Zeros}); err != nil {
			return nil, err
		}
	}
	mean, err := ctx.param("running_mean", graph.State, c, Init{Scheme: Zeros})
	if err != nil {
		return nil, err
	}
	variance, err := ctx.param("running_var", graph.State, c, Init{Scheme: Constant, Value: 1})
	if err != nil {
		return nil, err
	}
	// A frozen batch norm keeps its statistics: it runs in evaluation mode.
	opt := graph.BatchNormOptions{Eps: l.Eps, Momentum: l.Momentum, Frozen: ctx.B.IsFrozen(ctx.name("running_mean")), ReLU: relu}
	if opt.Eps == 0 {
		opt.Eps = 1e-5
	}
	if opt.Momentum == 0 {
		opt.Momentum = 0.1
	}
	if pool {
		return graph.BatchNormReluMaxPool(x, gamma, beta, mean, variance, opt)
	}
	return graph.BatchNorm(x, gamma, beta, mean, variance, opt)
}
