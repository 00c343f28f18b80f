package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Builder collects the nodes and named parameters of a model under
// construction. Layers call Param for their tensors and the graph functions
// (Conv2D, Linear, BatchNorm, ...) for their computation.
type Builder struct {
	g      *gorgonia.ExprGraph
	dtype  tensor.Dtype
	params []*Param
	nodes  []*gorgonia.Node
	names  map[string]bool
	frozen []string // name prefixes of frozen parameters (see Freeze)
	thawed []string // when set, the only prefixes not frozen (see FreezeAllBut)
}

// NewBuilder starts a model whose tensors are of dtype (Float32 or Float64).
func NewBuilder(dtype tensor.Dtype) *Builder {
	if dtype != tensor.Float32 && dtype != tensor.Float64 {
		panic(fmt.Sprintf("graph: dtype %v is neither float32 nor float64", dtype))
	}
	return &Builder{g: gorgonia.NewGraph(), dtype: dtype, names: map[string]bool{}}
}

// Dtype is the element type of every tensor of the model.
func (b *Builder) Dtype() tensor.Dtype { return b.dtype }

// Graph is the Gorgonia graph under construction.
func (b *Builder) Graph() *gorgonia.ExprGraph { return b.g }

// Input adds an input of the given shape; its first axis is the batch, which a
// compiled program may change.
func (b *Builder) Input(name string, shape ...int) (*gorgonia.Node, error) {
	for _, d := range shape {
		if d < 1 {
			return nil, fmt.Errorf("input %q: shape %v has a size below 1", name, shape)
		}
	}
	if err := b.claim(name); err != nil {
		return nil, err
	}
	return gorgonia.NewTensor(b.g, b.dtype, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name)), nil
}

// Param adds a persistent, named tensor holding value. Names must be unique:
// Gorgonia merges nodes of equal name and shape.
func (b *Builder) Param(name string, kind ParamKind, value *Buffer) (*gorgonia.Node, error) {
	if err := b.claim(name); err != nil {
		return nil, err
	}
	if value.Dtype() != b.dtype {
		return nil, fmt.Errorf("parameter %q is %v in a %v model", name, value.Dtype(), b.dtype)
	}
	if n := ShapeSize(value.Shape); slices.Min(append([]int{1}, value.Shape...)) < 1 || n != value.Len() {
		return nil, fmt.Errorf("parameter %q: %d values do not fill shape %v", name, value.Len(), value.Shape)
	}
	p := &Param{Name: name, Kind: kind, Value: value}
	if kind != State && !b.IsFrozen(name) {
		p.Grad = NewBuffer(b.dtype, value.Shape...)
	}
	n := gorgonia.NewTensor(b.g, b.dtype, len(value.Shape), gorgonia.WithShape(value.Shape...), gorgonia.WithName(name))
	b.params = append(b.params, p)
	b.nodes = append(b.nodes, n)
	return n, nil
}

func (b *Builder) claim(name string) error {
	if name == "" || b.names[name] {
		return fmt.Errorf("tensor name %q is empty or already used", name)
	}
	b.names[name] = true
	return nil
}

// Model is a built network: input → output (logits of a classifier), a loss
// against the labels, and the symbolic gradient of that loss with respect to
// every trainable parameter. A classifier's loss is the mean softmax
// cross-entropy against class indices; a regression's the mean squared error
// against targets shaped like the output.
type Model struct {
	Graph      *gorgonia.ExprGraph
	Dtype      tensor.Dtype
	Input      *gorgonia.Node // N×… (NCHW images or N×features)
	Labels     *gorgonia.Node // N class indices, N×classes soft targets, or N×… regression targets
	Logits     *gorgonia.Node // N×classes, or the regression output
	Loss       *gorgonia.Node // scalar
	Params     []*Param       // in creation order, trainable and state alike
	Regression bool

	paramNodes []*gorgonia.Node // parallel to Params
	gradNodes  []*gorgonia.Node // parallel to Params; nil where no gradient
}

// Finish adds the classification loss (plain cross-entropy against class
// indices) and its gradients and returns the model. logits must be N×classes.
func (b *Builder) Finish(input, logits *gorgonia.Node) (*Model, error) {
	return b.FinishCrossEntropy(input, logits, CrossEntropyOptions{}, false)
}

// FinishCrossEntropy adds cross-entropy with opt's label smoothing and class
// weights against labels that are N class indices, or with softTargets
// N×classes probabilities (as mixup and cutmix make them), and its gradients.
func (b *Builder) FinishCrossEntropy(input, logits *gorgonia.Node, opt CrossEntropyOptions, softTargets bool) (*Model, error) {
	s := logits.Shape()
	if len(s) != 2 {
		return nil, fmt.Errorf("model output %v is not N×classes", s)
	}
	shape := []int{s[0]}
	if softTargets {
		shape = s
	}
	labels := gorgonia.NewTensor(b.g, b.dtype, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName("labels"))
	loss, err := CrossEntropy(logits, labels, opt)
	if err != nil {
		return nil, err
	}
	return b.finish(&Model{Input: input, Labels: labels, Logits: logits, Loss: loss})
}

// FinishRegression adds the mean squared error between output and targets of
// the same shape, and its gradients.
func (b *Builder) FinishRegression(input, output *gorgonia.Node) (*Model, error) {
	s := output.Shape()
	targets := gorgonia.NewTensor(b.g, b.dtype, len(s), gorgonia.WithShape(s...), gorgonia.WithName("targets"))
	loss, err := MeanSquaredError(output, targets)
	if err != nil {
		return nil, err
	}
	return b.finish(&Model{Input: input, Labels: targets, Logits: output, Loss: loss, Regression: true})
}

func (b *Builder) finish(m *Model) (*Model, error) {
	m.Graph, m.Dtype, m.Params, m.paramNodes = b.g, b.dtype, b.params, b.nodes
	m.gradNodes = make([]*gorgonia.Node, len(b.params))
	var wrt gorgonia.Nodes
	var idx []int
	for i, p := range b.params {
		if p.Trainable() {
			wrt = append(wrt, b.nodes[i])
			idx = append(idx, i)
		}
	}
	if len(wrt) == 0 {
		return m, nil
	}
	grads, err := gorgonia.Grad(m.Loss, wrt...)
	if err != nil {
		return nil, fmt.Errorf("building the backward graph: %w", err)
	}
	for j, i := range idx {
		m.gradNodes[i] = grads[j]
	}
	return m, nil
}

// Param returns the parameter of the given name, or nil.
func (m *Model) Param(name string) *Param {
	for _, p := range m.Params {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Trainable lists the parameters an optimizer updates, in creation order:
// every parameter but state such as batch norm's running statistics.
func (m *Model) Trainable() []*Param {
	var ps []*Param
	for _, p := range m.Params {
		if p.Trainable() {
			ps = append(ps, p)
		}
	}
	return ps
}

// NumParams counts the trainable scalars.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Trainable() {
		n += p.Value.Len()
	}
	return n
}
