package layers

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// gorgoniaLeNet is the LeNet of LeNetConfig{Channels: 1, Height: 28, Width: 28,
// Classes: 10} built from Gorgonia's own operations and run by its TapeMachine:
// an implementation independent of Descent's ops, compiler and kernels.
type gorgoniaLeNet struct {
	g            *gorgonia.ExprGraph
	x, onehot    *gorgonia.Node
	logits, loss *gorgonia.Node
	params       map[string]*gorgonia.Node
	vm           gorgonia.VM
}

// newGorgoniaLeNet copies the parameter values of a Descent model.
func newGorgoniaLeNet(m *graph.Model, batch int) (*gorgoniaLeNet, error) {
	dt := m.Dtype
	g := gorgonia.NewGraph()
	n := &gorgoniaLeNet{g: g, params: map[string]*gorgonia.Node{}}
	n.x = gorgonia.NewTensor(g, dt, 4, gorgonia.WithShape(batch, 1, 28, 28), gorgonia.WithName("x"))
	n.onehot = gorgonia.NewMatrix(g, dt, gorgonia.WithShape(batch, 10), gorgonia.WithName("onehot"))
	for _, p := range m.Params {
		var backing any = p.Value.F64
		if dt == tensor.Float32 {
			backing = p.Value.F32
		}
		v := tensor.New(tensor.WithShape(p.Value.Shape...), tensor.WithBacking(backing))
		n.params[p.Name] = gorgonia.NewTensor(g, dt, len(p.Value.Shape), gorgonia.WithShape(p.Value.Shape...),
			gorgonia.WithName(p.Name), gorgonia.WithValue(v))
	}
	must := func(v *gorgonia.Node, err error) *gorgonia.Node {
		if err != nil {
			panic(err)
		}
		return v
	}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("%v", r)
			}
		}()
		conv := func(x *gorgonia.Node, name string) *gorgonia.Node {
			w, b := n.params[name+".weight"], n.params[name+".bias"]
			y := must(gorgonia.Conv2d(x, w, tensor.Shape{5, 5}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
			bb := must(gorgonia.Reshape(b, tensor.Shape{1, b.Shape()[0], 1, 1}))
			y = must(gorgonia.BroadcastAdd(y, bb, nil, []byte{0, 2, 3}))
			y = must(gorgonia.Rectify(y))
			return must(gorgonia.MaxPool2D(y, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))
		}
		linear := func(x *gorgonia.Node, name string) *gorgonia.Node {
			w, b := n.params[name+".weight"], n.params[name+".bias"]
			y := must(gorgonia.Mul(x, must(gorgonia.Transpose(w))))
			return must(gorgonia.BroadcastAdd(y, b, nil, []byte{0}))
		}
		h := conv(conv(n.x, "conv1"), "conv2")
		h = must(gorgonia.Reshape(h, tensor.Shape{batch, 1024}))
		h = must(gorgonia.Rectify(linear(h, "fc1")))
		n.logits = linear(h, "fc2")
		logp := must(gorgonia.LogSoftMax(n.logits))
		n.loss = must(gorgonia.Neg(must(gorgonia.Mean(must(gorgonia.Sum(must(gorgonia.HadamardProd(logp, n.onehot)), 1))))))
		var wrt gorgonia.Nodes
		for _, p := range m.Params {
			wrt = append(wrt, n.params[p.Name])
		}
		if _, gerr := gorgonia.Grad(n.loss, wrt...); gerr != nil {
			panic(gerr)
		}
	}()
	if err != nil {
		return nil, err
	}
	n.vm = gorgonia.NewTapeMachine(g, gorgonia.BindDualValues())
	return n, nil
}

// step runs forward and backward on a batch.
func (n *gorgoniaLeNet) step(x, onehot tensor.Tensor) error {
	if err := gorgonia.Let(n.x, x); err != nil {
		return err
	}
	if err := gorgonia.Let(n.onehot, onehot); err != nil {
		return err
	}
	n.vm.Reset()
	return n.vm.RunAll()
}

// lenetBatch is a random image batch with labels, as Descent buffers and as
// Gorgonia tensors sharing the same values.
func lenetBatch(dt tensor.Dtype, batch int, seed uint64) (x, labels *graph.Buffer, xt, onehot tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x = graph.NewBuffer(dt, batch, 1, 28, 28)
	labels = graph.NewBuffer(dt, batch)
	oh := graph.NewBuffer(dt, batch, 10)
	for i := 0; i < x.Len(); i++ {
		x.Set(i, rng.Float64())
	}
	for i := 0; i < batch; i++ {
		c := rng.IntN(10)
		labels.Set(i, float64(c))
		oh.Set(i*10+c, 1)
	}
	if dt == tensor.Float32 {
		return x, labels, tensor.New(tensor.WithShape(x.Shape...), tensor.WithBacking(x.F32)),
			tensor.New(tensor.WithShape(batch, 10), tensor.WithBacking(oh.F32))
	}
	return x, labels, tensor.New(tensor.WithShape(x.Shape...), tensor.WithBacking(x.F64)),
		tensor.New(tensor.WithShape(batch, 10), tensor.WithBacking(oh.F64))
}

var mnistLeNet = LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10}

// TestLeNetMatchesTapeMachine: the compiled Program and Gorgonia's TapeMachine
// running Gorgonia's own ops agree on the loss and every gradient of LeNet.
func TestLeNetMatchesTapeMachine(t *testing.T) {
	const batch = 4
	m, err := Build(LeNet(mnistLeNet), []int{batch, 1, 28, 28}, tensor.Float64, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := newGorgoniaLeNet(m, batch)
	if err != nil {
		t.Fatal(err)
	}
	x, labels, xt, onehot := lenetBatch(tensor.Float64, batch, 5)
	loss, _, err := graph.NewMachine(m, graph.CPU{}).TrainStep(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if err := ref.step(xt, onehot); err != nil {
		t.Fatal(err)
	}
	want := ref.loss.Value().Data().(float64)
	if d := loss - want; d > 1e-10 || d < -1e-10 {
		t.Fatalf("loss %.12g, TapeMachine %.12g", loss, want)
	}
	for _, p := range m.Params {
		g, err := ref.params[p.Name].Grad()
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		wantG := g.Data().([]float64)
		for i, w := range wantG {
			if d := p.Grad.F64[i] - w; d > 1e-9 || d < -1e-9 {
				t.Fatalf("gradient of %s[%d]: %.12g, TapeMachine %.12g", p.Name, i, p.Grad.F64[i], w)
			}
		}
	}
}

// BenchmarkLeNetTrainStep measures LeNet forward+backward at batch 64 in float32
// on Descent's CPU backend and on Gorgonia's TapeMachine, in the same run.
func BenchmarkLeNetTrainStep(b *testing.B) {
	const batch = 64
	m, err := Build(LeNet(mnistLeNet), []int{batch, 1, 28, 28}, tensor.Float32, 3)
	if err != nil {
		b.Fatal(err)
	}
	x, labels, xt, onehot := lenetBatch(tensor.Float32, batch, 5)
	b.Run("descent", func(b *testing.B) {
		mc := graph.NewMachine(m, graph.CPU{})
		if _, _, err := mc.TrainStep(x, labels); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, _, err := mc.TrainStep(x, labels); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
	})
	b.Run("gorgonia-tapemachine", func(b *testing.B) {
		ref, err := newGorgoniaLeNet(m, batch)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < b.N; i++ {
			if err := ref.step(xt, onehot); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "images/s")
	})
}
