package recipe

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/descent-ml/descent/layers/weights"
)

// tinyResNet18 is torchvision's resnet18 at base width 4 on an MNIST subset.
func tinyResNet18() Config {
	cfg := DefaultConfig()
	cfg.Model, cfg.Width, cfg.Subset, cfg.Epochs, cfg.Batch, cfg.EvalBatch, cfg.Split = "resnet18", 4, 64, 1, "32", 500, "98:1:1"
	return cfg
}

func TestZooFlagsValidated(t *testing.T) {
	for _, c := range []struct {
		flag string
		set  func(*Config)
	}{
		{"-num-classes", func(c *Config) { c.NumClasses = -1 }},
		{"-width-mult", func(c *Config) { c.Model, c.WidthMult = "mobilenet_v2", math.NaN() }},
		{"-width-mult", func(c *Config) { c.Model, c.WidthMult = "resnet18", 0.5 }},
		{"-width-mult", func(c *Config) { c.WidthMult = 2 }}, // lenet
		{"-lr-head", func(c *Config) { c.LRHead = math.Inf(1) }},
		{"-lr-head", func(c *Config) { c.LRHead = -0.1 }},
		{"-freeze", func(c *Config) { c.Freeze = "conv1,,fc" }},
		{"-dropout", func(c *Config) { c.Model, c.Dropout = "mobilenet_v2", 0.5 }},
		{"-input-norm", func(c *Config) { c.InputNorm = "imagenette" }},
		{"-model", func(c *Config) { c.Model = "resnet19" }},
		{"-norm", func(c *Config) { c.Model, c.Norm = "resnet50", "none" }},
	} {
		cfg := tinyResNet18()
		c.set(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "flag "+c.flag) {
			t.Errorf("%s: got %v, want an error naming the flag", c.flag, err)
		}
	}
	cfg := tinyResNet18()
	cfg.Freeze, cfg.LRHead, cfg.NumClasses, cfg.InputNorm = "conv1, layer1", 0.01, 12, ImageNetNorm
	if err := cfg.Validate(); err != nil {
		t.Errorf("valid flags refused: %v", err)
	}
}

// TestFineTuneFromWeights: weights saved by one run load into another whose
// head has more classes: one line says the head is new, the backbone holds
// the file's values, -freeze backbone leaves only the head to train and
// -lr-head puts it in a group of its own.
func TestFineTuneFromWeights(t *testing.T) {
	first, err := Setup(tinyResNet18(), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pretrained.safetensors")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := weights.WriteSafetensors(f, first.Trainer.Model().Params, 7); err != nil {
		t.Fatal(err)
	}
	f.Close()

	cfg := tinyResNet18()
	cfg.Weights, cfg.NumClasses, cfg.Freeze, cfg.LRHead, cfg.Seed = path, 12, "backbone", 0.05, 2
	var log bytes.Buffer
	r, err := Setup(cfg, &log)
	if err != nil {
		t.Fatal(err)
	}
	if want := "the file's head has 10 classes, the model 12: fc.weight, fc.bias freshly initialized"; !strings.Contains(log.String(), want) {
		t.Errorf("log %q lacks %q", log.String(), want)
	}
	m := r.Trainer.Model()
	if got := m.Param("conv1.weight").Value.F32; !slices.Equal(got, first.Trainer.Model().Param("conv1.weight").Value.F32) {
		t.Error("conv1.weight is not the file's")
	}
	if got := m.Param("fc.weight").Value.Shape; !slices.Equal(got, []int{12, 32}) {
		t.Errorf("fc.weight shape %v, want [12 32]", got)
	}
	var trainable []string
	for _, p := range m.Trainable() {
		trainable = append(trainable, p.Name)
	}
	if !slices.Equal(trainable, []string{"fc.weight", "fc.bias"}) {
		t.Errorf("trainable %v, want the head only", trainable)
	}
	opt := r.Trainer.Optimizer()
	if opt.NumGroups() != 1 || opt.LR(0) != 0.05 {
		t.Errorf("%d groups, lr %v: want the head alone at -lr-head 0.05", opt.NumGroups(), opt.LR(0))
	}

	cfg.Freeze = "conv1,bn1,layer1"
	if r, err = Setup(cfg, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	opt = r.Trainer.Optimizer()
	if opt.NumGroups() != 2 || opt.LR(0) != 0.001 || opt.LR(1) != 0.05 {
		t.Errorf("%d groups, lr %v and %v: want the body at Adam's 0.001, the head at 0.05", opt.NumGroups(), opt.LR(0), opt.LR(1))
	}

	cfg.Width = 8 // another architecture than the file's: refused, naming the file
	if _, err := Setup(cfg, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "flag -weights: "+path) || !strings.Contains(err.Error(), "wrongly shaped") {
		t.Errorf("weights of another width: got %v", err)
	}
}
