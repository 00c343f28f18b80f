package weights

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"github.com/descent-ml/descent/layers"
)

// frozenRun builds resnet18_w8 with the given frozen prefixes, loads the
// golden weights and runs one training step on the golden input, in float64.
func frozenRun(t *testing.T, freeze []string) (*graph.Model, *graph.Machine, *graph.Program, *graph.Buffer, *graph.Buffer) {
	t.Helper()
	cases, err := golden.Load("models")
	if err != nil {
		t.Fatal(err)
	}
	var c modelCase
	for _, gc := range cases {
		if gc.Name == "resnet18_w8.json" {
			if err := json.Unmarshal(gc.Raw, &c); err != nil {
				t.Fatal(err)
			}
		}
	}
	if c.Architecture == "" {
		t.Fatal("no resnet18_w8 case")
	}
	net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: c.Architecture, Width: c.Width, Classes: c.Classes})
	if err != nil {
		t.Fatal(err)
	}
	m, err := layers.BuildFrozen(net, c.Input.Shape, tensor.Float64, 1, freeze)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(m, goldenWeights(c.WeightsFile), Options{}); err != nil {
		t.Fatal(err)
	}
	x := graph.NewBuffer(tensor.Float64, c.Input.Shape...)
	copy(x.F64, c.Input.Data)
	labels := graph.NewBuffer(tensor.Float64, len(c.Train.Labels))
	copy(labels.F64, c.Train.Labels)
	mc := graph.NewMachine(m, graph.CPU{})
	if _, _, err := mc.TrainStep(x, labels); err != nil {
		t.Fatal(err)
	}
	p, err := mc.Program(len(c.Train.Labels), true)
	if err != nil {
		t.Fatal(err)
	}
	return m, mc, p, x, labels
}

func backwardSteps(p *graph.Program) int {
	n := 0
	for _, s := range p.Steps {
		if s.Backward {
			n++
		}
	}
	return n
}

// TestFreezeStopsGradients: frozen parameters have no gradient, the others
// get exactly the gradients of the unfrozen model, and the backward program
// loses the steps that only fed frozen parameters.
func TestFreezeStopsGradients(t *testing.T) {
	full, _, fullProgram, _, _ := frozenRun(t, nil)
	// conv1 has no batch norm of its own: the forward pass is unchanged.
	m, _, p, _, _ := frozenRun(t, []string{"conv1"})
	for i, prm := range m.Params {
		switch {
		case prm.Name == "conv1.weight":
			if prm.Grad != nil || prm.Trainable() {
				t.Fatal("frozen conv1.weight has a gradient")
			}
		case prm.Grad != nil && !slices.Equal(prm.Grad.F64, full.Params[i].Grad.F64):
			t.Fatalf("gradient of %s differs from the unfrozen model's", prm.Name)
		}
	}
	if backwardSteps(p) >= backwardSteps(fullProgram) {
		t.Errorf("%d backward steps frozen, %d unfrozen", backwardSteps(p), backwardSteps(fullProgram))
	}
	// Freezing the first half drops its whole backward pass.
	_, _, half, _, _ := frozenRun(t, []string{"conv1", "bn1", "layer1", "layer2"})
	t.Logf("backward steps: %d unfrozen, %d with conv1 frozen, %d with conv1..layer2 frozen",
		backwardSteps(fullProgram), backwardSteps(p), backwardSteps(half))
	for _, s := range half.Steps {
		if s.Backward && (strings.HasPrefix(s.Layer, "layer1") || strings.HasPrefix(s.Layer, "layer2") || s.Layer == "conv1" || s.Layer == "bn1") {
			t.Errorf("backward step %s (%s) runs for a frozen layer", s.Name, s.Layer)
		}
	}
}

// TestFrozenBatchNormsRunInEvaluationMode: with the whole backbone frozen the
// training forward equals the evaluation forward and the running statistics
// stay as loaded.
func TestFrozenBatchNormsRunInEvaluationMode(t *testing.T) {
	backbone := []string{"conv1", "bn1", "layer1", "layer2", "layer3", "layer4"}
	m, mc, p, x, labels := frozenRun(t, backbone)
	sd, err := ReadFile(goldenWeights("resnet18_w8.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, prm := range m.Params {
		if strings.HasPrefix(prm.Name, "fc.") != prm.Trainable() {
			t.Errorf("%s: trainable %t", prm.Name, prm.Trainable())
		}
		if strings.Contains(prm.Name, "running_") {
			want := sd.Tensors[prm.Name]
			for i, v := range prm.Value.F64 {
				if v != want.At(i) {
					t.Fatalf("%s changed in training: %v, loaded %v", prm.Name, v, want.At(i))
				}
			}
		}
	}
	trainLogits := slices.Clone(p.Logits.F64)
	_, _, evalLogits, err := mc.Evaluate(x, labels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(trainLogits, evalLogits.F64) {
		t.Error("training logits of the frozen backbone differ from the evaluation logits")
	}
}

func TestFreezeRejectsUnknownPrefixes(t *testing.T) {
	net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: "resnet18", Width: 8, Classes: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, freeze := range [][]string{{"layer5"}, {"layer1."}, {""}, {"conv"}} {
		if _, err := layers.BuildFrozen(net, []int{1, 3, 32, 32}, tensor.Float32, 1, freeze); err == nil || !strings.Contains(err.Error(), "freeze") {
			t.Errorf("freeze %q: %v", freeze, err)
		}
	}
}

// TestFreezeBackbone: "backbone" freezes everything but the head, for both
// kinds of torchvision head, and a model without such a head is an error.
func TestFreezeBackbone(t *testing.T) {
	for _, c := range []struct {
		arch  string
		width float64
		head  string
	}{{"resnet18", 8, "fc."}, {"mobilenet_v2", 0.25, "classifier.1."}} {
		net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: c.arch, Width: c.width, Classes: 3})
		if err != nil {
			t.Fatal(err)
		}
		m, err := layers.BuildFrozen(net, []int{2, 3, 32, 32}, tensor.Float32, 1, []string{layers.Backbone})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params {
			if p.Kind != graph.State && p.Trainable() != strings.HasPrefix(p.Name, c.head) {
				t.Errorf("%s: %s trainable %t", c.arch, p.Name, p.Trainable())
			}
		}
	}
	mlp := layers.MLP(layers.MLPConfig{Inputs: 4, Classes: 2, Depth: 1, Width: 3})
	if _, err := layers.BuildFrozen(mlp, []int{2, 4}, tensor.Float32, 1, []string{layers.Backbone}); err == nil || !strings.Contains(err.Error(), "no head") {
		t.Errorf("backbone of an MLP without an fc head: %v", err)
	}
}
