package graph

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/kernels"
)

// kernel is one Descent op: its attributes, shape rule, CPU launch and symbolic
// gradient. The compiler turns each graph node into one launch of its kernel.
type kernel interface {
	// String names the op with every attribute: it is hashed, and Gorgonia merges
	// nodes whose op hashes and children agree.
	String() string
	// dims gives the rank of each argument and then of the result (0 = scalar).
	dims() []int
	// inferShape gives the output shape for the input shapes.
	inferShape(in [][]int) ([]int, error)
	// exec computes out from in. Shapes come from the buffers, so one op serves
	// every batch size.
	exec(ctx *execContext, in []*Buffer, out *Buffer) error
	// diffWRT tells which arguments have a gradient; nil means none.
	diffWRT() []bool
	// symDiff builds the gradient nodes of the arguments marked by diffWRT.
	symDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error)
}

// workspaceKernel is implemented by kernels that need scratch memory (elements).
type workspaceKernel interface {
	workspace(in [][]int) int
}

// execContext carries what a launch needs beyond its buffers.
type execContext struct {
	training  bool
	iteration uint64  // step counter: dropout masks differ per step
	work      *Buffer // shared scratch, sized for the largest workspaceKernel
}

// op adapts a kernel to gorgonia.Op and gorgonia.SDOp.
type op struct{ k kernel }

func (o op) Arity() int            { return len(o.k.dims()) - 1 }
func (o op) Type() hm.Type         { return fnType(o.k.dims()...) }
func (o op) ReturnsPtr() bool      { return false }
func (o op) CallsExtern() bool     { return false }
func (o op) OverwritesInput() int  { return -1 }
func (o op) String() string        { return o.k.String() }
func (o op) WriteHash(h hash.Hash) { fmt.Fprint(h, o.k.String()) }
func (o op) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

func (o op) InferShape(ds ...gorgonia.DimSizer) (tensor.Shape, error) {
	in := make([][]int, len(ds))
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("%v: input %d has no shape", o, i)
		}
		in[i] = []int(s)
	}
	out, err := o.k.inferShape(in)
	if err != nil {
		return nil, err
	}
	return tensor.Shape(out), nil
}

func (o op) DiffWRT(n int) []bool {
	if d := o.k.diffWRT(); d != nil {
		return d
	}
	return make([]bool, n)
}

func (o op) SymDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if o.k.diffWRT() == nil {
		return nil, fmt.Errorf("%v has no gradient", o)
	}
	return o.k.symDiff(in, out, grad)
}

// Do runs the kernel on Gorgonia values, for Gorgonia's TapeMachine.
func (o op) Do(vals ...gorgonia.Value) (gorgonia.Value, error) {
	in := make([]*Buffer, len(vals))
	shapes := make([][]int, len(vals))
	var dt tensor.Dtype
	for i, v := range vals {
		b, err := bufferOfValue(v)
		if err != nil {
			return nil, fmt.Errorf("%v: input %d: %w", o, i, err)
		}
		in[i], shapes[i], dt = b, b.Shape, b.Dtype()
	}
	shape, err := o.k.inferShape(shapes)
	if err != nil {
		return nil, err
	}
	out := NewBuffer(dt, shape...)
	ctx := &execContext{training: true}
	if w, ok := o.k.(workspaceKernel); ok {
		ctx.work = NewBuffer(dt, w.workspace(shapes))
	}
	if err := o.k.exec(ctx, in, out); err != nil {
		return nil, err
	}
	if len(shape) == 0 {
		if dt == tensor.Float32 {
			return gorgonia.NewF32(out.F32[0]), nil
		}
		return gorgonia.NewF64(out.F64[0]), nil
	}
	if dt == tensor.Float32 {
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out.F32)), nil
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(out.F64)), nil
}

// apply adds a node computing k on the arguments.
func apply(k kernel, args ...*gorgonia.Node) (*gorgonia.Node, error) {
	return gorgonia.ApplyOp(op{k}, args...)
}

// fnType builds a fresh function type from the rank of each argument and of the
// result (0 = scalar). Fresh on every call: hm recycles the types it is given.
func fnType(dims ...int) hm.Type {
	ts := make([]hm.Type, len(dims))
	for i, d := range dims {
		if d == 0 {
			ts[i] = hm.TypeVariable('a')
		} else {
			ts[i] = gorgonia.TensorType{Dims: d, Of: hm.TypeVariable('a')}
		}
	}
	return hm.NewFnType(ts...)
}

// bufferOfValue views a Gorgonia value as a Buffer without copying tensors.
func bufferOfValue(v gorgonia.Value) (*Buffer, error) {
	switch v := v.(type) {
	case *gorgonia.F32:
		return &Buffer{Shape: []int{}, F32: []float32{float32(*v)}}, nil
	case *gorgonia.F64:
		return &Buffer{Shape: []int{}, F64: []float64{float64(*v)}}, nil
	case tensor.Tensor:
		shape := []int(v.Shape().Clone())
		switch d := v.Data().(type) {
		case []float32:
			return &Buffer{Shape: shape, F32: d}, nil
		case []float64:
			return &Buffer{Shape: shape, F64: d}, nil
		case float32:
			return &Buffer{Shape: []int{}, F32: []float32{d}}, nil
		case float64:
			return &Buffer{Shape: []int{}, F64: []float64{d}}, nil
		}
	}
	return nil, fmt.Errorf("unsupported value %T", v)
}

// view returns b's elements as []T; T must match the buffer's dtype.
func view[T kernels.Float](b *Buffer) []T {
	if b == nil {
		return nil
	}
	var zero T
	if _, ok := any(zero).(float32); ok {
		return any(b.F32).([]T)
	}
	return any(b.F64).([]T)
}

// ShapeSize is the number of elements of a tensor of the given shape.
func ShapeSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// noGrad is embedded by kernels that only appear in the backward graph.
type noGrad struct{}

func (noGrad) diffWRT() []bool { return nil }
func (noGrad) symDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, nil
}

func shapeError(op, aName string, a []int, bName string, b []int) error {
	return fmt.Errorf("%s: %s shape %v does not match %s shape %v", op, aName, a, bName, b)
}
