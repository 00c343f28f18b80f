package layers

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// torchvisionKeys is a case of testdata/torchvision_keys.json, written by
// testdata/gen_torchvision_keys.py from torchvision's own models.
type torchvisionKeys struct {
	Architecture string   `json:"architecture"`
	Width        float64  `json:"width"`
	Classes      int      `json:"num_classes"`
	RawKeys      [][2]any `json:"keys"`
}

// stateShapes reads a case's state_dict as name → shape, without the
// num_batches_tracked counters (which Descent does not keep).
func (c torchvisionKeys) stateShapes() map[string][]int {
	m := map[string][]int{}
	for _, kv := range c.RawKeys {
		name := kv[0].(string)
		if strings.HasSuffix(name, "num_batches_tracked") {
			continue
		}
		var shape []int
		for _, d := range kv[1].([]any) {
			shape = append(shape, int(d.(float64)))
		}
		m[name] = shape
	}
	return m
}

// narrowResNet divides the channel dimensions of a width-64 ResNet's
// state_dict by factor: every dimension but the input's 3 channels
// (conv1.weight's second), the classes (fc's first) and the kernel sizes.
func narrowResNet(shapes map[string][]int, factor int) map[string][]int {
	out := map[string][]int{}
	for name, s := range shapes {
		s = slices.Clone(s)
		switch {
		case name == "fc.weight":
			s[1] /= factor
		case name == "fc.bias":
		case len(s) == 4:
			s[0] /= factor
			if name != "conv1.weight" {
				s[1] /= factor
			}
		default:
			s[0] /= factor
		}
		out[name] = s
	}
	return out
}

func modelShapes(t *testing.T, arch string, width float64, classes int) map[string][]int {
	t.Helper()
	net, err := Torchvision(TorchvisionConfig{Arch: arch, Width: width, Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(net, []int{1, 3, 32, 32}, tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	shapes := map[string][]int{}
	for _, p := range m.Params {
		shapes[p.Name] = p.Value.Shape
	}
	return shapes
}

func compareShapes(t *testing.T, what string, got, want map[string][]int) {
	t.Helper()
	var problems []string
	for name, s := range want {
		if g, ok := got[name]; !ok {
			problems = append(problems, "missing "+name)
		} else if !slices.Equal(g, s) {
			problems = append(problems, fmt.Sprintf("%s is %v, torchvision %v", name, g, s))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			problems = append(problems, "unexpected "+name)
		}
	}
	slices.Sort(problems)
	if len(problems) > 0 {
		t.Errorf("%s: %d differences from torchvision, e.g. %q", what, len(problems), problems[:min(5, len(problems))])
	}
}

// TestTorchvisionNames compares the parameter and buffer names and shapes of
// the zoo's networks with torchvision's state_dicts: full size for resnet18
// and MobileNetV2, base width 8 (channels scaled down) for every ResNet.
func TestTorchvisionNames(t *testing.T) {
	raw, err := os.ReadFile("testdata/torchvision_keys.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []torchvisionKeys
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		want := c.stateShapes()
		if len(want) < 60 {
			t.Fatalf("%s: only %d keys in the reference", c.Architecture, len(want))
		}
		name := fmt.Sprintf("%s/%g", c.Architecture, c.Width)
		t.Run(name, func(t *testing.T) {
			if strings.HasPrefix(c.Architecture, "resnet") {
				compareShapes(t, "width 8", modelShapes(t, c.Architecture, 8, c.Classes), narrowResNet(want, 8))
				if c.Architecture != "resnet18" {
					return // full size is slow to build; the topology is the same
				}
			}
			compareShapes(t, "full size", modelShapes(t, c.Architecture, c.Width, c.Classes), want)
		})
	}
}

func TestTorchvisionRejectsBadConfigs(t *testing.T) {
	cases := []struct {
		arch    string
		width   float64
		classes int
		want    string
	}{
		{"resnet19", 0, 10, "unknown architecture"},
		{"vgg16", 0, 10, "unknown architecture"},
		{"resnet18", 2.5, 10, "whole number"},
		{"resnet18", -8, 10, "whole number"},
		{"resnet50", 8, 0, "positive"},
		{"mobilenet_v2", -0.5, 10, "width_mult"},
		{"mobilenet_v2", 1, -1, "classes"},
	}
	for _, c := range cases {
		if _, err := Torchvision(TorchvisionConfig{Arch: c.arch, Width: c.width, Classes: c.classes}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Torchvision(%q, %g, %d): error %v, want one containing %q", c.arch, c.width, c.classes, err, c.want)
		}
	}
	if _, err := TorchvisionResNet(TorchvisionResNetConfig{Depth: 20, Classes: 10}); err == nil {
		t.Error("ResNet of depth 20 accepted")
	}
	// One input channel, for grey images.
	grey, err := Torchvision(TorchvisionConfig{Arch: "mobilenet_v2", Width: 0.25, Classes: 2, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(grey, []int{2, 1, 32, 32}, tensor.Float32, 1); err != nil {
		t.Errorf("one-channel mobilenet_v2: %v", err)
	}
	// An input of the wrong channel count is an error of the first layer.
	net, err := Torchvision(TorchvisionConfig{Arch: "resnet18", Width: 8, Classes: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Empty or oddly shaped inputs are errors, not panics.
	for _, shape := range [][]int{{1, 3, 0, 0}, {1, 3, 32}, {0, 3, 32, 32}} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("input %v: panic %v", shape, r)
				}
			}()
			if _, err := Build(net, shape, tensor.Float32, 1); err == nil {
				t.Errorf("input %v accepted", shape)
			}
		}()
	}
	if _, err := Build(net, []int{2, 1, 32, 32}, tensor.Float32, 1); err == nil || !strings.Contains(err.Error(), "conv1") {
		t.Errorf("one-channel input to resnet18: %v", err)
	}
}
