package layers

import (
	"fmt"
	"math"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// checkedSize is the number of values of shape: every size positive, the
// product within an int.
func checkedSize(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 1 {
			return 0, fmt.Errorf("shape %v has a size below 1", shape)
		}
		if n > math.MaxInt/d {
			return 0, fmt.Errorf("shape %v has more values than an int counts", shape)
		}
		n *= d
	}
	return n, nil
}

// Footprint is the size of a model counted from its shapes, before anything is
// allocated: values, not bytes.
type Footprint struct {
	Trainable   int64 // parameters with a gradient (weights, biases, γ, β)
	State       int64 // running statistics
	Activations int64 // the forward pass's tensors at the estimated batch size, the input included
}

func (f *Footprint) add(kind graph.ParamKind, n int) {
	if kind == graph.State {
		f.State += int64(n)
	} else {
		f.Trainable += int64(n)
	}
}

// Bytes estimates the memory of training the model with optimizerSlots
// buffers per trainable value (Adam: 2, SGD with momentum: 1) and elements of
// elemSize bytes: parameters, gradients and optimizer state, and the forward
// activations twice (the backward pass's gradients are as large).
func (f Footprint) Bytes(optimizerSlots, elemSize int) float64 {
	values := float64(f.Trainable)*float64(2+optimizerSlots) + float64(f.State) + 2*float64(f.Activations)
	return values * float64(elemSize)
}

// Estimate counts the parameters and activations of net applied to inputs of
// inputShape (batch first) without allocating any tensor: the layers are
// built symbolically, so shape errors are found as Build finds them.
func Estimate(net Layer, inputShape []int) (Footprint, error) {
	ctx, x, err := start(inputShape, tensor.Float32, 0)
	if err != nil {
		return Footprint{}, err
	}
	ctx.footprint = &Footprint{}
	if _, err := net.Build(ctx.within(layerName(net)), x); err != nil {
		return Footprint{}, err
	}
	f := *ctx.footprint
	var all float64
	for _, n := range ctx.B.Graph().AllNodes() {
		all += float64(n.Shape().TotalSize())
	}
	f.Activations = int64(math.Min(all-float64(f.Trainable+f.State), math.MaxInt64))
	return f, nil
}
