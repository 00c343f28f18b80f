package solvers

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/graph"
	"gorgonia.org/tensor"
)

// benchModel returns the float32 parameters of a two-layer-perceptron-shaped
// model with n values in all (two weights, two biases), with fixed random
// values and gradients.
func benchModel(n int) []*graph.Param {
	rng := rand.New(rand.NewPCG(uint64(n), 11))
	b1, b2 := n/100, n/1000+1
	w1 := n * 7 / 10
	sizes := []int{w1, b1, n - w1 - b1 - b2, b2}
	kinds := []graph.ParamKind{graph.Weight, graph.Bias, graph.Weight, graph.Bias}
	names := []string{"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}
	params := make([]*graph.Param, len(sizes))
	for i, size := range sizes {
		p := &graph.Param{Name: names[i], Kind: kinds[i], Value: graph.NewBuffer(tensor.Float32, size), Grad: graph.NewBuffer(tensor.Float32, size)}
		for j := range p.Value.F32 {
			p.Value.F32[j] = float32(rng.NormFloat64() * 0.1)
			p.Grad.F32[j] = float32(rng.NormFloat64() * 0.01)
		}
		params[i] = p
	}
	return params
}

// BenchmarkStep reports parameters updated per second by a whole optimizer
// step (finiteness check and update, and in the last case the penalty gradient
// and clipping by norm) on a 1M-parameter float32 model.
func BenchmarkStep(b *testing.B) {
	const n = 1 << 20
	for _, bc := range []struct {
		name, optimizer string
		opts            map[string]any
	}{
		{"sgd", "sgd", map[string]any{"lr": 1e-3}},
		{"sgd_momentum", "sgd", map[string]any{"lr": 1e-3, "momentum": 0.9}},
		{"sgd_nesterov", "sgd", map[string]any{"lr": 1e-3, "momentum": 0.9, "nesterov": true, "weight_decay": 1e-4}},
		{"adagrad", "adagrad", nil},
		{"adadelta", "adadelta", nil},
		{"rmsprop", "rmsprop", map[string]any{"lr": 1e-3}},
		{"rmsprop_centered_momentum", "rmsprop", map[string]any{"lr": 1e-3, "centered": true, "momentum": 0.9}},
		{"adam", "adam", nil},
		{"adam_amsgrad", "adam", map[string]any{"amsgrad": true}},
		{"adamw", "adamw", nil},
		{"sgd_momentum_elastic_net_clip", "sgd", map[string]any{"lr": 1e-3, "momentum": 0.9, "l1": 1e-5, "l2": 1e-4, "clip_grad_norm": 1}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opt, err := New(bc.optimizer, bc.opts)
			if err != nil {
				b.Fatal(err)
			}
			params := benchModel(n)
			if err := opt.AddGroup(params, nil); err != nil {
				b.Fatal(err)
			}
			// Penalty and clipping rewrite the gradients in place; a backward pass
			// would bring fresh ones, so restore them (untimed) before each step
			// rather than let them shrink step after step into subnormal numbers.
			grads := make([][]float32, len(params))
			for i, p := range params {
				grads[i] = append([]float32(nil), p.Grad.F32...)
			}
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				for i, p := range params {
					copy(p.Grad.F32, grads[i])
				}
				b.StartTimer()
				if err := opt.Step(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "params/s")
		})
	}
}
