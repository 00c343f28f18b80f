package graph

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Step is one kernel launch of a Program.
type Step struct {
	Name     string // the op, e.g. "conv2d(...)" — for profiles and errors
	Layer    string // what it belongs to: a parameter prefix ("conv1") or op kind and ordinal ("relu#2")
	Backward bool   // part of the backward pass
	k        kernel
	In       []*Buffer
	Out      *Buffer
}

// Program is a model compiled for one batch size and mode: a flat list of
// kernel steps over a static buffer plan. Parameters and their gradients live in
// the model's Param buffers; activations share a pool of buffers reused once
// their last reader has run.
type Program struct {
	Steps     []Step
	Training  bool
	Batch     int
	Input     *Buffer // bound to the caller's batch on each run
	Labels    *Buffer
	Logits    *Buffer
	Loss      *Buffer
	Workspace *Buffer // scratch shared by the steps that need it

	// ActivationElems is the number of elements the buffer plan allocated for
	// activations and backward temporaries, after reuse.
	ActivationElems int

	// countedCorrect is set by a backend that counted the right predictions of
	// its last run itself (the device backend), in correct, so that the logits
	// need not leave the device.
	countedCorrect bool
	correct        int

	// The buffer plan, for backends with memory of their own: where each
	// buffer of the steps, the logits and the loss lives (the input and the
	// labels are bound per run), and the element count of each activation
	// storage slot. Buffers of one slot share storage on the host too.
	storage   map[*Buffer]storage
	slotSizes []int
}

// storage is where a buffer of a Program lives: an activation storage slot
// (a constant has a slot of its own), or a parameter's value or gradient.
type storage struct {
	slot     int    // ≥ 0: activation storage slot
	param    *Param // slot < 0: the parameter
	gradient bool   // its gradient rather than its value
	constant bool   // a slot filled once, at compile time
}

// compile builds the Program computing the logits and loss, and with grads the
// gradients of every trainable parameter, for a batch of the given size.
func compile(m *Model, batch int, training, grads bool) (*Program, error) {
	sorted, err := gorgonia.Sort(m.Graph)
	if err != nil {
		return nil, err
	}
	order := make([]*gorgonia.Node, len(sorted)) // inputs first
	for i, n := range sorted {
		order[len(sorted)-1-i] = n
	}

	// Keep only what the outputs need: Grad also builds gradients of inputs.
	roots := []*gorgonia.Node{m.Logits, m.Loss}
	gradOf := map[*gorgonia.Node][]*Param{}
	if grads {
		for i, g := range m.gradNodes {
			if g != nil {
				roots = append(roots, g)
				gradOf[g] = append(gradOf[g], m.Params[i])
			}
		}
	}
	live := map[*gorgonia.Node]bool{}
	var mark func(n *gorgonia.Node)
	mark = func(n *gorgonia.Node) {
		if live[n] {
			return
		}
		live[n] = true
		for _, c := range stepArgs(n) {
			mark(c)
		}
	}
	for _, r := range roots {
		mark(r)
	}

	paramOf := map[*gorgonia.Node]*Param{}
	for i, n := range m.paramNodes {
		paramOf[n] = m.Params[i]
	}
	p := &Program{Training: training, Batch: batch, storage: map[*Buffer]storage{}}
	bufs := map[*gorgonia.Node]*Buffer{}
	pool := newBufferPool(m.Dtype)
	lastUse := map[*gorgonia.Node]int{}
	var steps []pending
	workspace := 0

	for _, n := range order {
		if !live[n] {
			continue
		}
		args := stepArgs(n)
		switch {
		case n == m.Input || n == m.Labels: // the batch size may change
			shape := append([]int{batch}, n.Shape()[1:]...)
			b := &Buffer{Shape: shape}
			bufs[n] = b
			if n == m.Input {
				p.Input = b
			} else {
				p.Labels = b
			}
		case paramOf[n] != nil:
			bufs[n] = paramOf[n].Value
			p.storage[bufs[n]] = storage{slot: -1, param: paramOf[n]}
		case n.Op() == nil:
			return nil, fmt.Errorf("graph input %q is neither the model input, the labels nor a parameter", n.Name())
		default:
			k, err := kernelOf(n, len(args))
			if err != nil {
				return nil, err
			}
			if c, ok := k.(constKernel); ok {
				b := NewBuffer(m.Dtype, c.value.Shape...)
				for i := range b.Len() {
					b.Set(i, c.value.At(i))
				}
				bufs[n] = b
				p.storage[b] = storage{slot: len(p.slotSizes), constant: true}
				p.slotSizes = append(p.slotSizes, b.Len())
				continue
			}
			shapes := make([][]int, len(args))
			for i, a := range args {
				shapes[i] = bufs[a].Shape
				lastUse[a] = len(steps)
			}
			shape, err := k.inferShape(shapes)
			if err != nil {
				return nil, fmt.Errorf("%v at batch %d: %w", k, batch, err)
			}
			if w, ok := k.(workspaceKernel); ok {
				workspace = max(workspace, w.workspace(shapes))
			}
			bufs[n] = &Buffer{Shape: append([]int{}, shape...)}
			steps = append(steps, pending{n, k, args})
		}
	}

	producer := map[*gorgonia.Node]int{} // the step computing each node
	for i, s := range steps {
		producer[s.n] = i
	}
	// A training batch norm's statistics of a convolution's output come from
	// the row statistics that the convolution takes image by image.
	if training {
		for i, s := range steps {
			if len(s.args) == 0 {
				continue
			}
			if j, ok := producer[s.args[0]]; ok {
				if conv, stats, ok := linkRowStats(steps[j].k, s.k); ok {
					steps[j].k, steps[i].k = conv, stats
				}
			}
		}
	}

	if grads && linkBackward {
		linkBackwardSteps(steps, producer, bufs, gradOf, lastUse, training)
	}

	// Buffer plan: walk the steps in order, giving each output a pooled buffer and
	// returning it to the pool after its last reader. Outputs that leave the
	// program (logits, loss) are never returned; parameter gradients write into
	// the parameters' own buffers.
	pooled := map[*gorgonia.Node]bool{}
	labels := newStepLabeler(paramOf)
	for i, s := range steps {
		out := bufs[s.n]
		if ps := gradOf[s.n]; len(ps) > 0 {
			out.F32, out.F64 = ps[0].Grad.F32, ps[0].Grad.F64
			p.storage[out] = storage{slot: -1, param: ps[0], gradient: true}
		} else {
			p.storage[out] = storage{slot: pool.take(out)}
			pooled[s.n] = s.n != m.Logits && s.n != m.Loss
		}
		in := make([]*Buffer, len(s.args))
		for j, a := range s.args {
			in[j] = bufs[a]
		}
		layer, backward := labels.label(s.n, s.k, s.args)
		p.Steps = append(p.Steps, Step{Name: s.k.String(), Layer: layer, Backward: backward, k: s.k, In: in, Out: out})
		if ps := gradOf[s.n]; len(ps) > 1 { // one node, several parameters: copy
			for _, q := range ps[1:] {
				p.Steps = append(p.Steps, Step{Name: "copy", Layer: layer, Backward: true, k: copyKernel{}, In: []*Buffer{out}, Out: q.Grad})
				p.storage[q.Grad] = storage{slot: -1, param: q, gradient: true}
			}
		}
		for _, a := range s.args {
			if lastUse[a] == i && pooled[a] {
				pool.give(bufs[a], p.storage[bufs[a]].slot)
				pooled[a] = false
			}
		}
	}
	p.Logits, p.Loss = bufs[m.Logits], bufs[m.Loss]
	p.Workspace = NewBuffer(m.Dtype, workspace)
	p.ActivationElems = pool.allocated
	p.slotSizes = append(p.slotSizes, pool.sizes...)
	for b, st := range p.storage { // the pool's slots follow the constants'
		if st.slot >= 0 && !st.constant {
			st.slot += len(p.slotSizes) - len(pool.sizes)
			p.storage[b] = st
		}
	}
	return p, nil
}

// pending is a step of the program being compiled: node n computed by
// kernel k from args.
type pending struct {
	n    *gorgonia.Node
	k    kernel
	args []*gorgonia.Node
}

// kernelOf maps a node to its kernel: Descent's own ops, Gorgonia's constants
// (class weights), and the two Gorgonia built-ins that gorgonia.Grad adds to a
// graph of Descent ops — the dL/dL = 1 seed and the sum of the gradients of a
// node with several consumers.
func kernelOf(n *gorgonia.Node, arity int) (kernel, error) {
	switch o := n.Op().(type) {
	case op:
		return o.k, nil
	case interface{ Value() gorgonia.Value }:
		if arity == 0 {
			if v, err := bufferOfValue(o.Value()); err == nil {
				return constKernel{value: v}, nil
			}
		}
	}
	if a, b, ok := gradientSumTerms(n); ok {
		if _, conv := convSumTerms(a, b); conv != nil {
			return sumConvDataKernel{conv: convData(conv)}, nil
		}
		return addKernel{rank: n.Dims()}, nil
	}
	return nil, fmt.Errorf("op %q (%T) is not supported by Descent's compiler: build models from package graph's ops", n.Op().String(), n.Op())
}

// stepArgs is the arguments of n's step: n's own, but for a sum of
// gradients one of which is a convolution's input gradient, whose step
// computes that gradient itself (sumConvDataKernel): the other gradient
// and the convolution's arguments.
func stepArgs(n *gorgonia.Node) []*gorgonia.Node {
	if a, b, ok := gradientSumTerms(n); ok {
		if rest, conv := convSumTerms(a, b); conv != nil {
			return append([]*gorgonia.Node{rest}, argsOf(conv)...)
		}
	}
	return argsOf(n)
}

// argsOf is n's arguments, in order.
func argsOf(n *gorgonia.Node) []*gorgonia.Node {
	var args []*gorgonia.Node
	for it := n.Graph().From(n.ID()); it.Next(); {
		args = append(args, it.Node().(*gorgonia.Node))
	}
	return args
}

// isGradientSum reports whether n, with arity children, is the Gorgonia
// built-in that sums the gradients of a node with several consumers.
func isGradientSum(n *gorgonia.Node, arity int) bool {
	return n.Op() != nil && fmt.Sprintf("%T", n.Op()) == "gorgonia.elemBinOp" && strings.HasPrefix(n.Op().String(), "+ ") && arity == 2
}

// gradientSumTerms returns the two gradients that n sums when n is a
// gradient sum (isGradientSum).
func gradientSumTerms(n *gorgonia.Node) (a, b *gorgonia.Node, ok bool) {
	terms := argsOf(n)
	if !isGradientSum(n, len(terms)) {
		return nil, nil, false
	}
	return terms[0], terms[1], true
}

// constKernel marks a constant (a scalar such as the dL/dL = 1 seed, or a
// tensor such as class weights); the compiler gives it a filled buffer.
type constKernel struct {
	noGrad
	value *Buffer
}

func (k constKernel) String() string                            { return fmt.Sprintf("const%v", k.value.Shape) }
func (k constKernel) dims() []int                               { return []int{len(k.value.Shape)} }
func (k constKernel) inferShape([][]int) ([]int, error)         { return k.value.Shape, nil }
func (constKernel) exec(*execContext, []*Buffer, *Buffer) error { return nil }

// copyKernel copies its input.
type copyKernel struct{ noGrad }

func (copyKernel) String() string                       { return "copy" }
func (copyKernel) dims() []int                          { return []int{1, 1} }
func (copyKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (copyKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	out.CopyFrom(in[0])
	return nil
}

// bufferPool hands out backing storage for activation buffers, reusing storage
// whose last reader has run. Best fit by size keeps the plan compact. Each
// storage is a slot, numbered in allocation order.
type bufferPool struct {
	dtype     tensor.Dtype
	free      []freeSlot // sorted by capacity
	sizes     []int      // elements of each slot
	allocated int
}

// freeSlot is storage that a later step may reuse.
type freeSlot struct {
	storage *Buffer
	slot    int
}

func newBufferPool(dt tensor.Dtype) *bufferPool { return &bufferPool{dtype: dt} }

func capOf(b *Buffer) int {
	if b.F32 != nil {
		return cap(b.F32)
	}
	return cap(b.F64)
}

// take gives b (whose Shape is set) storage of exactly its size and returns
// its slot.
func (p *bufferPool) take(b *Buffer) int {
	n := ShapeSize(b.Shape)
	i := sort.Search(len(p.free), func(i int) bool { return capOf(p.free[i].storage) >= n })
	var f freeSlot
	if i < len(p.free) {
		f = p.free[i]
		p.free = append(p.free[:i], p.free[i+1:]...)
	} else {
		f = freeSlot{NewBuffer(p.dtype, n), len(p.sizes)}
		p.sizes = append(p.sizes, n)
		p.allocated += n
	}
	if f.storage.F32 != nil {
		b.F32 = f.storage.F32[:n]
	} else {
		b.F64 = f.storage.F64[:n]
	}
	return f.slot
}

// give returns b's storage, slot slot, for reuse by later steps.
func (p *bufferPool) give(b *Buffer, slot int) {
	f := freeSlot{&Buffer{F32: b.F32, F64: b.F64}, slot}
	i := sort.Search(len(p.free), func(i int) bool { return capOf(p.free[i].storage) >= capOf(f.storage) })
	p.free = append(p.free, freeSlot{})
	copy(p.free[i+1:], p.free[i:])
	p.free[i] = f
}

// stepLabeler names the layer each step belongs to, for per-layer profiles. A
// forward step takes the prefix of a parameter it reads ("conv1" for
// "conv1.weight"), else its op kind and ordinal ("relu#2"). A backward step
// belongs to the forward node whose output gradient it reads: Gorgonia marks
// each gradient node with the node it is the gradient of. A gradient shared
// by several nodes (the terms of a sum) is the gradient of each: the step
// belongs to the one whose inputs it reads too (batch norm's backward reads
// its x). A sum of gradients belongs to the node whose gradient it is.
type stepLabeler struct {
	paramOf  map[*gorgonia.Node]*Param
	of       map[*gorgonia.Node]string
	backward map[*gorgonia.Node]bool
	count    map[string]int
}

func newStepLabeler(paramOf map[*gorgonia.Node]*Param) *stepLabeler {
	return &stepLabeler{paramOf: paramOf, of: map[*gorgonia.Node]string{}, backward: map[*gorgonia.Node]bool{}, count: map[string]int{}}
}

func (l *stepLabeler) label(n *gorgonia.Node, k kernel, args []*gorgonia.Node) (string, bool) {
	// A backward temporary that is no gradient itself (batch norm's sums)
	// passes its layer on to the steps that read it.
	inherit := func(name string) (string, bool) {
		l.of[n], l.backward[n] = name, true
		return name, true
	}
	switch k.(type) {
	case reluGradSumKernel, reluGradSumConvKernel:
		// The gradient through a ReLU fused into the op that computed its
		// first argument belongs to that op, as ReLU's own gradient would.
		return inherit(l.of[args[0]])
	case addKernel, sumConvDataKernel:
		// The sum of the gradients of a node read twice (a residual block's
		// input) belongs to that node's layer.
		for _, f := range n.DerivOf() {
			if name, ok := l.of[f]; ok {
				return inherit(name)
			}
		}
	}
	for _, shared := range []bool{true, false} {
		for _, a := range args {
			for _, f := range a.DerivOf() {
				if name, ok := l.of[f]; ok && (!shared || slices.ContainsFunc(args, func(b *gorgonia.Node) bool { return slices.Contains(argsOf(f), b) })) {
					return inherit(name)
				}
			}
		}
	}
	for _, a := range args {
		if l.backward[a] {
			return inherit(l.of[a])
		}
	}
	for _, a := range args {
		if p := l.paramOf[a]; p != nil {
			name := p.Name
			if i := strings.LastIndex(name, "."); i >= 0 {
				name = name[:i]
			}
			l.of[n] = name
			return name, false
		}
	}
	kind := k.String()
	if i := strings.Index(kind, "("); i >= 0 {
		kind = kind[:i]
	}
	l.count[kind]++
	name := fmt.Sprintf("%s#%d", kind, l.count[kind])
	l.of[n] = name
	return name, false
}
