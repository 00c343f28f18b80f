package layers

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/graph"
)

// Activation applies an elementwise nonlinearity; Slope is leaky ReLU's
// negative slope (0 means PyTorch's 0.01).
type Activation struct {
	Fn    graph.Activation
	Slope float64
}

// The activations without parameters.
var (
	ReLU        = Activation{Fn: graph.ReLU}
	Tanh        = Activation{Fn: graph.Tanh}
	Sigmoid     = Activation{Fn: graph.Sigmoid}
	ReLU6       = Activation{Fn: graph.ReLU6}
	SiLU        = Activation{Fn: graph.SiLU}
	Hardswish   = Activation{Fn: graph.Hardswish}
	Hardsigmoid = Activation{Fn: graph.Hardsigmoid}
)

// Build implements Layer.
func (l Activation) Build(_ *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	slope := l.Slope
	if l.Fn == graph.LeakyReLU && slope == 0 {
		slope = 0.01
	}
	return graph.Activate(x, l.Fn, slope)
}

// Dropout is inverted dropout with drop probability P; its mask seed is drawn
// from the model's seed.
type Dropout struct{ P float64 }

// Build implements Layer.
func (l Dropout) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := graph.Dropout(x, l.P, ctx.Rng.Uint64())
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", ctx.prefix, err)
	}
	return y, nil
}

// MaxPool2D is torch.nn.MaxPool2d; zero stride means the kernel size.
type MaxPool2D struct{ Kernel, Stride, Padding [2]int }

// Build implements Layer.
func (l MaxPool2D) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return wrap(ctx, "max pool")(graph.MaxPool2D(x, graph.PoolOptions{Kernel: l.Kernel, Stride: l.Stride, Padding: l.Padding}))
}

// AvgPool2D is torch.nn.AvgPool2d (padding counted as zeros).
type AvgPool2D struct{ Kernel, Stride, Padding [2]int }

// Build implements Layer.
func (l AvgPool2D) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return wrap(ctx, "avg pool")(graph.AvgPool2D(x, graph.PoolOptions{Kernel: l.Kernel, Stride: l.Stride, Padding: l.Padding}))
}

// GlobalAvgPool averages each channel's plane: N×C×H×W → N×C×1×1.
type GlobalAvgPool struct{}

// Build implements Layer.
func (GlobalAvgPool) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	return wrap(ctx, "global avg pool")(graph.GlobalAvgPool(x))
}

// Flatten reshapes N×… to N×(the rest).
type Flatten struct{}

// Build implements Layer.
func (Flatten) Build(_ *Context, x *gorgonia.Node) (*gorgonia.Node, error) { return graph.Flatten(x) }

// wrap prefixes a graph error with the layer's name.
func wrap(ctx *Context, what string) func(*gorgonia.Node, error) (*gorgonia.Node, error) {
	return func(n *gorgonia.Node, err error) (*gorgonia.Node, error) {
		if err != nil {
			return nil, fmt.Errorf("layer %s (%s): %w", ctx.prefix, what, err)
		}
		return n, nil
	}
}

// Residual computes Post(Body(x) + Shortcut(x)); a nil Shortcut is the identity.
// The shortcut's parameters are named "downsample.…", as in torchvision.
type Residual struct {
	Name     string
	Body     Sequential
	Shortcut Layer
	Post     Layer // applied after the sum, usually ReLU; nil for none
}

func (l Residual) name() string { return l.Name }

// Build implements Layer.
func (l Residual) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	y, err := l.Body.Build(ctx, x)
	if err != nil {
		return nil, err
	}
	short := x
	if l.Shortcut != nil {
		if short, err = l.Shortcut.Build(ctx.within("downsample"), x); err != nil {
			return nil, err
		}
	}
	if !slices.Equal(y.Shape(), short.Shape()) {
		return nil, fmt.Errorf("layer %s (residual): body output %v and shortcut %v differ", ctx.prefix, y.Shape(), short.Shape())
	}
	if l.Post != nil && isReLU(l.Post) {
		return graph.AddReLU(y, short)
	}
	if y, err = graph.Add(y, short); err != nil {
		return nil, err
	}
	if l.Post == nil {
		return y, nil
	}
	return l.Post.Build(ctx, y)
}
