package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// dotKernel is a test-only loss: Σ y·r, whose gradient with respect to y is r.
// It turns any op's output into a scalar with a known upstream gradient.
type dotKernel struct{ rank int }

func (k dotKernel) String() string                       { return fmt.Sprintf("dot(rank=%d)", k.rank) }
func (k dotKernel) dims() []int                          { return []int{k.rank, k.rank, 0} }
func (k dotKernel) inferShape(in [][]int) ([]int, error) { return []int{}, nil }
func (k dotKernel) diffWRT() []bool                      { return []bool{true, false} }
func (k dotKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	s := 0.0
	for i := 0; i < in[0].Len(); i++ {
		s += in[0].At(i) * in[1].At(i)
	}
	out.Set(0, s)
	return nil
}
func (k dotKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	g, err := apply(scaleByKernel{rank: k.rank}, in[1], grad)
	return gorgonia.Nodes{g, nil}, err
}

// scaleByKernel multiplies a tensor by a scalar.
type scaleByKernel struct {
	noGrad
	rank int
}

func (k scaleByKernel) String() string                       { return fmt.Sprintf("scale_by(rank=%d)", k.rank) }
func (k scaleByKernel) dims() []int                          { return []int{k.rank, 0, k.rank} }
func (k scaleByKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k scaleByKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	s := in[1].At(0)
	for i := 0; i < out.Len(); i++ {
		out.Set(i, in[0].At(i)*s)
	}
	return nil
}

// opHarness is a graph of one op under test whose arguments are parameters, so
// that the gradients of all of them come out of a compiled training program.
type opHarness struct {
	t        *testing.T
	b        *Builder
	model    *Model
	args     map[string]*Param
	out      *gorgonia.Node
	upstream *Param
}

func newHarness(t *testing.T, dt tensor.Dtype) *opHarness {
	return &opHarness{t: t, b: NewBuilder(dt), args: map[string]*Param{}}
}

// arg adds an argument; state arguments get no gradient.
func (h *opHarness) arg(name string, kind ParamKind, vals []float64, shape ...int) *gorgonia.Node {
	buf := NewBuffer(h.b.Dtype(), shape...)
	for i, v := range vals {
		buf.Set(i, v)
	}
	n, err := h.b.Param(name, kind, buf)
	if err != nil {
		h.t.Fatal(err)
	}
	h.args[name] = h.b.params[len(h.b.params)-1]
	return n
}

// finish makes the loss Σ out·upstream and the gradients of every argument.
func (h *opHarness) finish(out *gorgonia.Node, upstream []float64) {
	h.out = out
	u := h.arg("upstream", State, upstream, out.Shape()...)
	h.upstream = h.args["upstream"]
	loss, err := apply(dotKernel{rank: out.Dims()}, out, u)
	if err != nil {
		h.t.Fatal(err)
	}
	m := &Model{Graph: h.b.g, Dtype: h.b.dtype, Logits: out, Loss: loss, Params: h.b.params,
		paramNodes: h.b.nodes, gradNodes: make([]*gorgonia.Node, len(h.b.params))}
	var wrt gorgonia.Nodes
	var idx []int
	for i, p := range m.Params {
		if p.Trainable() {
			wrt, idx = append(wrt, m.paramNodes[i]), append(idx, i)
		}
	}
	grads, err := gorgonia.Grad(loss, wrt...)
	if err != nil {
		h.t.Fatal(err)
	}
	for j, i := range idx {
		m.gradNodes[i] = grads[j]
	}
	h.model = m
}

// program compiles and runs the harness once.
func (h *opHarness) program(training bool) *Program {
	p, err := compile(h.model, 1, training, true)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := (CPU{}).Run(p, 0); err != nil {
		h.t.Fatal(err)
	}
	return p
}

// run returns the loss of one run; output its op's output.
func (h *opHarness) run(training bool) float64    { return h.program(training).Loss.At(0) }
func (h *opHarness) output(training bool) *Buffer { return h.program(training).Logits }

// gradCheck compares each trainable argument's analytic gradient with central
// finite differences of the loss (float64).
func (h *opHarness) gradCheck(training bool, tol float64) {
	h.t.Helper()
	h.run(training)
	// Every analytic gradient comes from this run: the finite differences'
	// runs leave the gradients of a point a step away.
	analytics := map[string][]float64{}
	for name, p := range h.args {
		if !p.Trainable() {
			continue
		}
		analytics[name] = make([]float64, p.Grad.Len())
		for i := range analytics[name] {
			analytics[name][i] = p.Grad.At(i)
		}
	}
	for name, p := range h.args {
		if !p.Trainable() {
			continue
		}
		analytic := analytics[name]
		const eps = 1e-6
		for i := range analytic {
			orig := p.Value.At(i)
			p.Value.Set(i, orig+eps)
			plus := h.run(training)
			p.Value.Set(i, orig-eps)
			minus := h.run(training)
			p.Value.Set(i, orig)
			numeric := (plus - minus) / (2 * eps)
			if math.Abs(numeric-analytic[i]) > tol*(1+math.Abs(numeric)) {
				h.t.Errorf("d loss/d %s[%d]: analytic %.8g, finite difference %.8g", name, i, analytic[i], numeric)
				return
			}
		}
	}
}

func randVals(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}
