package layers

import (
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// TestEstimateCountsWhatBuildAllocates: the dry run counts exactly the
// parameters Build allocates, for each model of the zoo.
func TestEstimateCountsWhatBuildAllocates(t *testing.T) {
	nets := map[string]struct {
		net   Layer
		shape []int
	}{
		"mlp":    {MLP(MLPConfig{Inputs: 12, Classes: 3, Depth: 2, Width: 5, BatchNorm: true, Dropout: 0.5}), []int{4, 1, 3, 4}},
		"lenet":  {LeNet(LeNetConfig{Channels: 1, Height: 16, Width: 16, Classes: 10, Filters: [2]int{2, 3}, Hidden: 4, BatchNorm: true}), []int{2, 1, 16, 16}},
		"resnet": {ResNet(ResNetConfig{Channels: 3, Classes: 10, Width: 2}), []int{2, 3, 8, 8}},
	}
	for name, n := range nets {
		fp, err := Estimate(n.net, n.shape)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		m, err := Build(n.net, n.shape, tensor.Float32, 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var state int64
		for _, p := range m.Params {
			if !p.Trainable() {
				state += int64(p.Value.Len())
			}
		}
		if fp.Trainable != int64(m.NumParams()) || fp.State != state {
			t.Errorf("%s: estimated %d trainable and %d state values, built %d and %d", name, fp.Trainable, fp.State, m.NumParams(), state)
		}
		// At least the input and the logits are activations.
		if min := int64(n.shape[0] * (n.shape[1]*n.shape[2]*n.shape[3] + 3)); fp.Activations < min {
			t.Errorf("%s: %d activation values, fewer than %d", name, fp.Activations, min)
		}
	}
}

// TestEstimateOfAHugeModelAllocatesNothing: a 10¹⁶-parameter MLP is counted
// in an instant.
func TestEstimateOfAHugeModelAllocatesNothing(t *testing.T) {
	fp, err := Estimate(MLP(MLPConfig{Inputs: 784, Classes: 10, Depth: 2, Width: 100_000_000}), []int{64, 1, 28, 28})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(784*1e8 + 1e8 + 1e16 + 1e8 + 10*1e8 + 10)
	if fp.Trainable != want {
		t.Errorf("%d parameters, want %d", fp.Trainable, want)
	}
	if b := fp.Bytes(2, 4); b < 1.6e17 || math.IsInf(b, 0) {
		t.Errorf("%g bytes", b)
	}
}

// TestInvalidShapesAreErrorsNotPanics: the Go API refuses bad sizes when
// building, never panics.
func TestInvalidShapesAreErrorsNotPanics(t *testing.T) {
	cases := map[string]struct {
		net   Layer
		shape []int
		want  string
	}{
		"mlp depth":      {MLP(MLPConfig{Inputs: 4, Classes: 2, Depth: -1, Width: 3}), []int{2, 4}, "Depth = -1"},
		"mlp width":      {MLP(MLPConfig{Inputs: 4, Classes: 2, Depth: 1, Width: -5}), []int{2, 4}, "Width = -5"},
		"mlp dropout":    {MLP(MLPConfig{Inputs: 4, Classes: 2, Depth: 1, Width: 3, Dropout: math.NaN()}), []int{2, 4}, "Dropout"},
		"mlp classes":    {MLP(MLPConfig{Inputs: 4, Classes: 0}), []int{2, 4}, "Classes = 0"},
		"lenet small":    {LeNet(LeNetConfig{Channels: 1, Height: 8, Width: 8, Classes: 10}), []int{2, 1, 8, 8}, "Height = 8"},
		"lenet hidden":   {LeNet(LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, Hidden: -5}), []int{2, 1, 28, 28}, "Hidden = -5"},
		"resnet width":   {ResNet(ResNetConfig{Channels: 3, Classes: 10, Width: -4}), []int{2, 3, 8, 8}, "Width = -4"},
		"resnet blocks":  {ResNet(ResNetConfig{Channels: 3, Classes: 10, BlocksPerStage: -1}), []int{2, 3, 8, 8}, "BlocksPerStage = -1"},
		"linear out":     {Sequential{Flatten{}, Linear{Name: "fc", In: 4, Out: -2}}, []int{2, 4}, "fc.weight"},
		"batch norm":     {BatchNorm{Name: "bn", Channels: 0}, []int{2, 0}, "input shape"},
		"negative input": {MLP(MLPConfig{Inputs: 4, Classes: 2}), []int{-2, 4}, "input shape"},
		"no batch":       {MLP(MLPConfig{Inputs: 4, Classes: 2}), []int{4}, "input shape"},
		"dropout nan":    {Sequential{Flatten{}, Dropout{P: math.NaN()}}, []int{2, 4}, "dropout"},
	}
	for name, c := range cases {
		_, err := Build(c.net, c.shape, tensor.Float32, 1)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Build error %v, want one naming %q", name, err, c.want)
		}
		if _, err := Estimate(c.net, c.shape); err == nil {
			t.Errorf("%s: Estimate accepts it", name)
		}
	}
	if _, err := Build(MLP(MLPConfig{Inputs: 4, Classes: 2}), []int{2, 4}, tensor.Int64, 1); err == nil {
		t.Errorf("an int64 model is accepted")
	}
}
