package layers

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// Layer is a block of a network: it adds its parameters and computation to the
// graph under construction.
type Layer interface {
	// Build adds the layer applied to x and returns its output.
	Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error)
}

// Context is what layers build with: the graph builder, a seeded generator for
// initialization and dropout seeds, and the name prefix of the enclosing block.
type Context struct {
	B      *graph.Builder
	Rng    *rand.Rand
	prefix string

	footprint *Footprint // Estimate's dry run: parameters are counted, not allocated
}

// name joins the block prefix and a local name the way PyTorch names
// parameters ("layer1.0.conv1.weight").
func (c *Context) name(local string) string {
	if c.prefix == "" {
		return local
	}
	return c.prefix + "." + local
}

// within returns a context whose names are prefixed by local.
func (c *Context) within(local string) *Context {
	if local == "" {
		return c
	}
	return &Context{B: c.B, Rng: c.Rng, prefix: c.name(local), footprint: c.footprint}
}

// param adds a parameter filled by init.
func (c *Context) param(local string, kind graph.ParamKind, shape []int, init Init) (*gorgonia.Node, error) {
	size, err := checkedSize(shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name(local), err)
	}
	if c.footprint != nil {
		c.footprint.add(kind, size)
		return gorgonia.NewTensor(c.B.Graph(), c.B.Dtype(), len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(c.name(local))), nil
	}
	vals := make([]float64, size)
	if err := init.Fill(vals, shape, c.Rng); err != nil {
		return nil, fmt.Errorf("%s: %w", c.name(local), err)
	}
	buf := graph.NewBuffer(c.B.Dtype(), shape...)
	for i, v := range vals {
		buf.Set(i, v)
	}
	return c.B.Param(c.name(local), kind, buf)
}

// Build constructs a model: net applied to inputs of shape inputShape (batch
// first; other batch sizes work later without rebuilding), with the softmax
// cross-entropy loss and its gradients. The same seed gives the same weights.
func Build(net Layer, inputShape []int, dtype tensor.Dtype, seed uint64) (*graph.Model, error) {
	return build(net, inputShape, dtype, seed, nil, (*graph.Builder).Finish)
}

// Backbone, as a prefix to freeze, stands for every parameter outside Head.
const Backbone = "backbone"

// Head lists the name prefixes of the classifier heads of torchvision's
// networks: the ResNets' fc, MobileNetV2's classifier.1.
var Head = []string{"fc", "classifier.1"}

// BuildFrozen is Build with the parameters under the name prefixes freeze
// frozen (see graph.Builder.Freeze): they get no gradient, and frozen batch
// norms run in evaluation mode. Backbone freezes all but the Head. A prefix
// that matches no parameter is an error.
func BuildFrozen(net Layer, inputShape []int, dtype tensor.Dtype, seed uint64, freeze []string) (*graph.Model, error) {
	return build(net, inputShape, dtype, seed, freeze, (*graph.Builder).Finish)
}

// BuildRegression is Build with the mean squared error loss against targets
// shaped like the network's output.
func BuildRegression(net Layer, inputShape []int, dtype tensor.Dtype, seed uint64) (*graph.Model, error) {
	return build(net, inputShape, dtype, seed, nil, (*graph.Builder).FinishRegression)
}

// initStream (the first word of SHA-512's initial hash, an arbitrary odd
// constant) is the second word of the weight initialization's generator, whose
// first is the model's seed.
const initStream = 0x6a09e667f3bcc908

func build(net Layer, inputShape []int, dtype tensor.Dtype, seed uint64, freeze []string,
	finish func(*graph.Builder, *gorgonia.Node, *gorgonia.Node) (*graph.Model, error)) (*graph.Model, error) {
	ctx, x, err := start(inputShape, dtype, seed)
	if err != nil {
		return nil, err
	}
	b := ctx.B
	backbone := slices.Contains(freeze, Backbone)
	if i := slices.Index(freeze, Backbone); i >= 0 {
		if err := b.FreezeAllBut(Head...); err != nil {
			return nil, err
		}
		freeze = slices.Delete(slices.Clone(freeze), i, i+1)
	}
	if err := b.Freeze(freeze...); err != nil {
		return nil, err
	}
	out, err := net.Build(ctx.within(layerName(net)), x)
	if err != nil {
		return nil, err
	}
	if unused := b.UnusedFreezes(); len(unused) > 0 {
		return nil, fmt.Errorf("freeze: no parameter is named %s or lies under it", strings.Join(unused, ", "))
	}
	m, err := finish(b, x, out)
	if err == nil && backbone && m.NumParams() == 0 {
		return nil, fmt.Errorf("freeze %s: the model has no head (%s) to train", Backbone, strings.Join(Head, " or "))
	}
	return m, err
}

// start checks the input shape and dtype and begins a model.
func start(inputShape []int, dtype tensor.Dtype, seed uint64) (*Context, *gorgonia.Node, error) {
	if dtype != tensor.Float32 && dtype != tensor.Float64 {
		return nil, nil, fmt.Errorf("layers: dtype %v is neither float32 nor float64", dtype)
	}
	if _, err := checkedSize(inputShape); err != nil || len(inputShape) < 2 {
		return nil, nil, fmt.Errorf("layers: input shape %v is not a batch of samples of positive sizes", inputShape)
	}
	b := graph.NewBuilder(dtype)
	ctx := &Context{B: b, Rng: rand.New(rand.NewPCG(seed, initStream))}
	x, err := b.Input("input", inputShape...)
	return ctx, x, err
}

// Sequential applies its layers in order. Layers with a Name get it as their
// parameter prefix; unnamed ones get their index, as torch.nn.Sequential does.
type Sequential []Layer

// Build implements Layer.
func (s Sequential) Build(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error) {
	for i := 0; i < len(s); i++ {
		l := s[i]
		name := layerName(l)
		if name == "" {
			name = fmt.Sprint(i)
		}
		var err error
		bn, isBN := l.(BatchNorm)
		switch f, ok := l.(reluFuser); {
		case isBN && i+2 < len(s) && isReLU(s[i+1]) && isMaxPool2(s[i+2]):
			x, err = bn.buildReLUMaxPool(ctx.within(name), x)
			i += 2 // the ReLU and the pooling, built in
		case ok && i+1 < len(s) && isReLU(s[i+1]):
			x, err = f.buildReLU(ctx.within(name), x)
			i++ // the ReLU, built in
		case isReLU(l) && i+1 < len(s) && isMaxPool(s[i+1]):
			// max_pool(relu(x)) = relu(max_pool(x)), gradients included: the
			// pooling routes each window's gradient to its maximum, the same
			// element of x as of relu(x) wherever the ReLU passes any
			// gradient. Pooling first runs the ReLU on the pooled tensor,
			// a fraction of the size, forward and backward.
			if x, err = s[i+1].Build(ctx.within(fmt.Sprint(i+1)), x); err == nil {
				x, err = l.Build(ctx.within(name), x)
			}
			i++
		default:
			x, err = l.Build(ctx.within(name), x)
		}
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// isMaxPool2 reports whether l is torch.nn.MaxPool2d(2): 2×2 windows,
// stride 2, no padding.
func isMaxPool2(l Layer) bool {
	p, ok := l.(MaxPool2D)
	return ok && p.Kernel == [2]int{2, 2} && (p.Stride == [2]int{} || p.Stride == [2]int{2, 2}) && p.Padding == [2]int{}
}

// isMaxPool reports whether l is a max pooling.
func isMaxPool(l Layer) bool {
	_, ok := l.(MaxPool2D)
	return ok
}

// reluFuser is a layer that builds itself and a ReLU after it as one fused
// op (batch norm, linear): the pre-activation never goes to memory. The ReLU
// has no parameters, so the names stay those of the layers one by one.
type reluFuser interface {
	buildReLU(ctx *Context, x *gorgonia.Node) (*gorgonia.Node, error)
}

// isReLU reports whether l is a plain ReLU.
func isReLU(l Layer) bool {
	a, ok := l.(Activation)
	return ok && a.Fn == graph.ReLU
}

// layerName is the Name field of layers that have one.
func layerName(l Layer) string {
	if n, ok := l.(interface{ name() string }); ok {
		return n.name()
	}
	return ""
}

// shapeErr reports a mismatch between a layer and its input.
func shapeErr(ctx *Context, what string, got []int, want string) error {
	name := ctx.prefix
	if name == "" {
		name = "(top)"
	}
	return fmt.Errorf("layer %s (%s): input shape %v, want %s", name, what, got, want)
}
