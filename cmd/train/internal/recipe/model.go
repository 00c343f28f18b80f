package recipe

import (
	"fmt"
	"strings"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
)

// network builds the configured model for c×h×w inputs and the given classes.
func (cfg *Config) network(c, h, w, classes int) (layers.Layer, error) {
	init, err := cfg.weightInit()
	if err != nil {
		return nil, err
	}
	if cfg.Dropout < 0 || cfg.Dropout >= 1 {
		return nil, fmt.Errorf("flag -dropout: %g is outside [0, 1)", cfg.Dropout)
	}
	var bn bool
	switch cfg.Norm {
	case "batch":
		bn = true
	case "none":
	default:
		return nil, fmt.Errorf("flag -norm: unknown %q (want batch or none)", cfg.Norm)
	}
	if classes, err = cfg.classes(classes); err != nil {
		return nil, err
	}
	if IsTorchvision(cfg.Model) {
		return cfg.torchvisionNetwork(c, classes)
	}
	switch cfg.Model {
	case "mlp":
		act, err := activation(cfg.Activation)
		if err != nil {
			return nil, err
		}
		if cfg.Depth < 0 || (cfg.Depth > 0 && cfg.Width < 1) {
			return nil, fmt.Errorf("flags -depth %d -width %d: need depth ≥ 0 and width ≥ 1", cfg.Depth, cfg.Width)
		}
		return layers.MLP(layers.MLPConfig{Inputs: c * h * w, Classes: classes, Depth: cfg.Depth, Width: cfg.Width,
			Activation: act, BatchNorm: bn, Dropout: cfg.Dropout, Init: init}), nil
	case "lenet":
		f, err := IntList("filters", cfg.Filters)
		if err != nil || len(f) != 2 || f[0] < 1 || f[1] < 1 {
			return nil, fmt.Errorf("flag -filters: %q is not two positive numbers", cfg.Filters)
		}
		if h < 16 || w < 16 {
			return nil, fmt.Errorf("model lenet needs images of at least 16×16, the dataset has %d×%d", h, w)
		}
		return layers.LeNet(layers.LeNetConfig{Channels: c, Height: h, Width: w, Classes: classes,
			Filters: [2]int{f[0], f[1]}, Hidden: cfg.Hidden, BatchNorm: bn, Dropout: cfg.Dropout, Init: init}), nil
	case "resnet":
		if cfg.Norm != "batch" {
			return nil, fmt.Errorf("model resnet always uses batch norm: -norm %q is not supported", cfg.Norm)
		}
		return layers.ResNet(layers.ResNetConfig{Channels: c, Classes: classes, Width: cfg.Width,
			BlocksPerStage: cfg.Blocks, Init: init}), nil
	}
	return nil, fmt.Errorf("flag -model: unknown %q (want one of %s)", cfg.Model, strings.Join(Models, ", "))
}

func activation(name string) (layers.Activation, error) {
	switch name {
	case "relu":
		return layers.ReLU, nil
	case "leaky_relu":
		return layers.Activation{Fn: graph.LeakyReLU}, nil
	case "tanh":
		return layers.Tanh, nil
	case "sigmoid":
		return layers.Sigmoid, nil
	}
	return layers.Activation{}, fmt.Errorf("flag -activation: unknown %q (want relu, leaky_relu, tanh or sigmoid)", name)
}

func (cfg *Config) weightInit() (layers.Init, error) {
	s, err := layers.ParseScheme(cfg.Init)
	if err != nil {
		return layers.Init{}, fmt.Errorf("flag -init: %w", err)
	}
	in := layers.Init{Scheme: s, Nonlinearity: cfg.InitNonlin, Std: cfg.InitStd}
	switch cfg.InitMode {
	case "fan_in":
	case "fan_out":
		in.Mode = layers.FanOut
	default:
		return in, fmt.Errorf("flag -init-mode: unknown %q (want fan_in or fan_out)", cfg.InitMode)
	}
	if in.Nonlinearity == "" && (s == layers.KaimingUniform || s == layers.KaimingNormal) {
		// He init is derived for the activation that follows; Xavier's gain
		// stays 1 unless asked for, as in PyTorch.
		in.Nonlinearity = "relu"
		if cfg.Model == "mlp" {
			in.Nonlinearity = cfg.Activation
		}
	}
	if _, err := layers.Gain(in.Nonlinearity, in.Slope); err != nil {
		return in, fmt.Errorf("flag -init-nonlinearity: %w", err)
	}
	return in, nil
}

// buildModel builds the float32 model for the dataset's image shape.
func (cfg *Config) buildModel(c, h, w, classes, batch int) (*graph.Model, error) {
	net, err := cfg.network(c, h, w, classes)
	if err != nil {
		return nil, err
	}
	freeze, err := cfg.freezePrefixes()
	if err != nil {
		return nil, err
	}
	m, err := layers.BuildCrossEntropy(net, []int{batch, c, h, w}, tensor.Float32, cfg.Seed, freeze, cfg.lossOptions(), cfg.mixes())
	if err != nil && len(freeze) > 0 {
		return nil, fmt.Errorf("flag -freeze %s: %w", cfg.Freeze, err)
	}
	return m, err
}
