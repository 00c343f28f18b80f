package layers

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// TestProfileCoversLayers: the per-layer profile attributes every step of
// LeNet with batch norm to a layer, with forward and backward parts (its
// ReLUs are fused into the batch norms before them, and so are the max
// poolings after them).
func TestProfileCoversLayers(t *testing.T) {
	m, err := Build(LeNet(LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, BatchNorm: true}), []int{8, 1, 28, 28}, tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels, _, _ := lenetBatch(tensor.Float32, 8, 1)
	prof, err := graph.Profile(graph.NewMachine(m, graph.CPU{}), x, labels, 2)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]graph.LayerTime{}
	for _, l := range prof {
		seen[l.Layer] = l
	}
	for _, name := range []string{"conv1", "bn1", "conv2", "bn2", "fc1", "bn3", "fc2", "softmax_cross_entropy#1"} {
		l, ok := seen[name]
		if !ok {
			t.Errorf("no layer %q in %v", name, prof)
			continue
		}
		if l.Forward <= 0 || l.Backward <= 0 {
			t.Errorf("layer %s: forward %v, backward %v", name, l.Forward, l.Backward)
		}
	}
}
