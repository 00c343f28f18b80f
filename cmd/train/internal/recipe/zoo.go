package recipe

import (
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/layers/weights"
	"github.com/descent-ml/descent/solvers"
)

// The torchvision models (-model resnet18 … mobilenet_v2), their weights
// (-weights, -num-classes), fine-tuning (-freeze, -lr-head) and the ImageNet
// input pipeline (-image-size with its transforms, -input-norm imagenet).

// Models lists every -model name: the small networks, then torchvision's.
var Models = append([]string{"lenet", "mlp", "resnet"}, layers.TorchvisionArchitectures...)

// ImageNetNorm is the -input-norm that standardizes with torchvision's
// ImageNet statistics (data.ImageNetStats).
const ImageNetNorm = "imagenet"

// Defaults that the torchvision models use instead of the small networks'.
const (
	torchvisionResNetWidth = 64  // torchvision's base width
	mobileNetV2Dropout     = 0.2 // torchvision's classifier dropout
	maxWidthMult           = 64
)

// IsTorchvision reports whether model names a torchvision architecture.
func IsTorchvision(model string) bool { return slices.Contains(layers.TorchvisionArchitectures, model) }

// registerZooFlags binds the fields of the torchvision models.
func (c *Config) registerZooFlags(fs *flag.FlagSet) {
	fs.Float64Var(&c.WidthMult, "width-mult", c.WidthMult, "mobilenet_v2: width_mult, the channel multiplier (torchvision's 1)")
	fs.StringVar(&c.Weights, "weights", c.Weights, "start from this torchvision state_dict (.safetensors, or .pth as torch.save writes it), loaded strictly; a head of another class count is initialized anew")
	fs.IntVar(&c.NumClasses, "num-classes", c.NumClasses, "classes of the model's head (0: the dataset's)")
	fs.StringVar(&c.Freeze, "freeze", c.Freeze, "comma-separated parameter name prefixes to freeze (e.g. conv1,bn1,layer1), or backbone for all but the head (fc, classifier.1)")
	fs.Float64Var(&c.LRHead, "lr-head", c.LRHead, "learning rate of the head (fc, classifier.1) in a parameter group of its own (0: -lr)")
}

// ResolveModelDefaults gives the flags that the command line left unset the
// defaults of a torchvision model: base width 64 for the ResNets, dropout 0.2
// for MobileNetV2, and ImageNet's input statistics with -weights. Call it
// after parsing fs into c.
func ResolveModelDefaults(fs *flag.FlagSet, c *Config) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !IsTorchvision(c.Model) {
		return
	}
	if !set["width"] && c.Model != "mobilenet_v2" {
		c.Width = torchvisionResNetWidth
	}
	if !set["dropout"] && c.Model == "mobilenet_v2" {
		c.Dropout = mobileNetV2Dropout
	}
	if !set["input-norm"] && c.Weights != "" {
		c.InputNorm = ImageNetNorm
	}
}

// validateZoo checks the fields of registerZooFlags and how the torchvision
// models take the shared ones.
func (c *Config) validateZoo() error {
	if c.NumClasses < 0 || c.NumClasses > maxUnits {
		return fmt.Errorf("flag -num-classes: %d is not in [0, %d] (0: the dataset's)", c.NumClasses, maxUnits)
	}
	if math.IsNaN(c.WidthMult) || c.WidthMult < 0 || c.WidthMult > maxWidthMult {
		return fmt.Errorf("flag -width-mult: %v is not in (0, %d]", c.WidthMult, maxWidthMult)
	}
	if math.IsNaN(c.LRHead) || math.IsInf(c.LRHead, 0) || c.LRHead < 0 {
		return fmt.Errorf("flag -lr-head: %v is not a finite learning rate ≥ 0 (0: -lr)", c.LRHead)
	}
	if _, err := c.freezePrefixes(); err != nil {
		return err
	}
	if !IsTorchvision(c.Model) {
		if c.WidthMult != 0 {
			return fmt.Errorf("flag -width-mult: only mobilenet_v2 has a width multiplier, not -model %s", c.Model)
		}
		return nil
	}
	if c.Model == "mobilenet_v2" && c.Dropout != 0 && c.Dropout != mobileNetV2Dropout {
		return fmt.Errorf("flag -dropout: mobilenet_v2's classifier dropout is torchvision's %g, or 0 to turn it off, not %v", mobileNetV2Dropout, c.Dropout)
	}
	if c.Model != "mobilenet_v2" && c.WidthMult != 0 {
		return fmt.Errorf("flag -width-mult: only mobilenet_v2 has a width multiplier; %s's base width is -width", c.Model)
	}
	if c.Norm != "batch" {
		return fmt.Errorf("flag -norm %s: model %s always uses batch norm", c.Norm, c.Model)
	}
	return nil
}

// freezePrefixes parses -freeze.
func (c *Config) freezePrefixes() ([]string, error) {
	if strings.TrimSpace(c.Freeze) == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(c.Freeze, ",") {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") {
			return nil, fmt.Errorf("flag -freeze: %q is not a comma-separated list of parameter name prefixes", c.Freeze)
		}
		out = append(out, p)
	}
	return out, nil
}

// torchvisionNetwork builds -model's torchvision architecture.
func (c *Config) torchvisionNetwork(channels, classes int) (layers.Layer, error) {
	width := float64(c.Width)
	if c.Model == "mobilenet_v2" {
		width = c.WidthMult
	}
	net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: c.Model, Classes: classes, Width: width,
		NoDropout: c.Dropout == 0, Channels: channels})
	if err != nil {
		return nil, fmt.Errorf("flag -model %s: %w", c.Model, err)
	}
	return net, nil
}

// classes is the model's class count for a dataset of n classes.
func (c *Config) classes(n int) (int, error) {
	if c.NumClasses == 0 {
		return n, nil
	}
	if c.NumClasses < n {
		return 0, fmt.Errorf("flag -num-classes %d: the dataset has %d classes", c.NumClasses, n)
	}
	return c.NumClasses, nil
}

// loadWeights loads -weights into m, strictly, and says in one line on
// r.Log when the file's head had another class count.
func (r *Run) loadWeights(m *graph.Model) error {
	if r.Cfg.Weights == "" {
		return nil
	}
	rep, err := weights.LoadFile(m, r.Cfg.Weights, weights.Options{})
	if err != nil {
		return fmt.Errorf("flag -weights: %w", err)
	}
	if s := rep.String(); s != "" {
		fmt.Fprintln(r.Log, s)
	}
	return nil
}

// addParamGroups puts the trainable parameters into opt: one group, or with
// -lr-head the head's in a second group of its own learning rate.
func (c *Config) addParamGroups(opt *solvers.Optimizer, m *graph.Model) error {
	if c.LRHead == 0 {
		return opt.AddGroup(m.Trainable(), nil)
	}
	var body, head []*graph.Param
	for _, p := range m.Trainable() {
		if graph.Under(p.Name, layers.Head) {
			head = append(head, p)
		} else {
			body = append(body, p)
		}
	}
	if len(head) == 0 {
		return fmt.Errorf("flag -lr-head: model %s has no head (%s) with trainable parameters", c.Model, strings.Join(layers.Head, " or "))
	}
	if len(body) > 0 {
		if err := opt.AddGroup(body, nil); err != nil {
			return err
		}
	}
	if err := opt.AddGroup(head, map[string]any{"lr": c.LRHead}); err != nil {
		return fmt.Errorf("flag -lr-head: %w", err)
	}
	return nil
}

// usesImageNetTransforms reports whether the images go through torchvision's
// ImageNet transforms at -image-size: a torchvision model on a streamed
// dataset (folder, csv, tar).
func (c *Config) usesImageNetTransforms() bool {
	return IsTorchvision(c.Model) && c.streamed()
}

// streamTransforms are the geometric transforms of a streamed dataset's
// training and evaluation images: RandomResizedCrop and flip, and resize
// and centre crop, for the torchvision models; a plain resize otherwise.
func (c *Config) streamTransforms() (train, eval augment.Transform) {
	if c.usesImageNetTransforms() {
		return augment.ImageNetTrain(c.ImageSize), augment.ImageNetEval(c.ImageSize)
	}
	r := augment.Resize{Height: c.ImageSize, Width: c.ImageSize}
	return r, r
}

// inputNormalization is -input-norm's mode and statistics: ImageNet's, or
// those of the training split, whose images have channels planes.
func (c *Config) inputNormalization(train *data.Dataset, channels int) (data.NormMode, data.Stats, error) {
	if c.InputNorm == ImageNetNorm {
		if n := len(data.ImageNetStats.Mean); channels != n {
			return 0, data.Stats{}, fmt.Errorf("flag -input-norm %s: ImageNet's statistics are for %d (RGB) channels, the images have %d; use -input-norm standardize",
				ImageNetNorm, n, channels)
		}
		return data.NormStandardize, data.ImageNetStats, nil
	}
	mode, err := data.ParseNormMode(c.InputNorm)
	if err != nil {
		return 0, data.Stats{}, fmt.Errorf("flag -input-norm: %w", err)
	}
	stats := data.Stats{}
	if mode != data.NormNone {
		if stats, err = data.ComputeStats(train); err != nil {
			return 0, data.Stats{}, err
		}
	}
	return mode, stats, nil
}

// streamNormalization is -input-norm's mode and statistics for a streamed
// dataset of images with channels planes: ImageNet's statistics, since
// those of a training split that is never held in memory would cost a pass
// over it.
func (c *Config) streamNormalization(channels int) (data.NormMode, data.Stats, error) {
	if c.InputNorm == ImageNetNorm {
		return c.inputNormalization(nil, channels)
	}
	mode, err := data.ParseNormMode(c.InputNorm)
	if err != nil {
		return 0, data.Stats{}, fmt.Errorf("flag -input-norm: %w", err)
	}
	if mode == data.NormNone {
		return mode, data.Stats{}, nil
	}
	return mode, data.ImageNetStats, nil
}

// parseInputNorm checks -input-norm.
func parseInputNorm(s string) error {
	if s == ImageNetNorm {
		return nil
	}
	if _, err := data.ParseNormMode(s); err != nil {
		return fmt.Errorf("flag -input-norm: %w, or %s", err, ImageNetNorm)
	}
	return nil
}
