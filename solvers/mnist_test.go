package solvers_test

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
)

// TestEachOptimizerLearnsMNIST trains a small MLP on 512 MNIST images with every
// optimizer and checks that the training loss falls well below its start.
func TestEachOptimizerLearnsMNIST(t *testing.T) {
	dir, err := data.FindGoMNIST()
	if err != nil {
		t.Skipf("MNIST not available: %v", err)
	}
	train, _, err := data.LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	const n, batch, epochs = 512, 64, 4
	x := graph.NewBuffer(tensor.Float32, n, 1, 28, 28)
	labels := graph.NewBuffer(tensor.Float32, n)
	for i := 0; i < n; i++ {
		for j, v := range train.Images[i].Pix {
			x.F32[i*784+j] = float32(v)/255 - 0.5
		}
		labels.F32[i] = float32(train.Labels[i])
	}
	cases := map[string]map[string]any{
		"sgd":      {"lr": 0.1, "momentum": 0.9},
		"adagrad":  {"lr": 0.05},
		"adadelta": {"lr": 1.0},
		"rmsprop":  {"lr": 0.001},
		"adam":     {"lr": 0.002},
		"adamw":    {"lr": 0.002},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := layers.Build(layers.MLP(layers.MLPConfig{Inputs: 784, Classes: 10, Depth: 1, Width: 64, Activation: layers.ReLU}),
				[]int{batch, 1, 28, 28}, tensor.Float32, 1)
			if err != nil {
				t.Fatal(err)
			}
			opt, err := solvers.New(name, opts)
			if err != nil {
				t.Fatal(err)
			}
			var params []*graph.Param
			for _, p := range m.Params {
				if p.Trainable() {
					params = append(params, p)
				}
			}
			if err := opt.AddGroup(params, nil); err != nil {
				t.Fatal(err)
			}
			mc := graph.NewMachine(m, graph.CPU{})
			epochLoss := func(trainToo bool) float64 {
				var sum float64
				for b := 0; b < n; b += batch {
					xb := &graph.Buffer{Shape: []int{batch, 1, 28, 28}, F32: x.F32[b*784 : (b+batch)*784]}
					lb := &graph.Buffer{Shape: []int{batch}, F32: labels.F32[b : b+batch]}
					if !trainToo {
						l, _, _, err := mc.Evaluate(xb, lb)
						if err != nil {
							t.Fatal(err)
						}
						sum += l
						continue
					}
					l, _, err := mc.TrainStep(xb, lb)
					if err != nil {
						t.Fatal(err)
					}
					if err := opt.Step(); err != nil {
						t.Fatal(err)
					}
					sum += l
				}
				return sum / float64(n/batch)
			}
			start := epochLoss(false)
			for e := 0; e < epochs; e++ {
				epochLoss(true)
			}
			end := epochLoss(false)
			if !(end < 0.5*start) {
				t.Errorf("loss %.3f → %.3f after %d epochs: did not fall by half", start, end, epochs)
			}
			t.Logf("loss %.3f → %.3f", start, end)
		})
	}
}
