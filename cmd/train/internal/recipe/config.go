package recipe

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/data"
)

// Config is everything a training run depends on. It is written to the run's
// folder (config.json) and stored in every checkpoint, so that eval and -resume
// rebuild exactly the same run.
type Config struct {
	Dataset   string `json:"dataset"`
	DataDir   string `json:"data_dir"`
	Split     string `json:"split"`
	ImageSize int    `json:"image_size"`

	// Streamed datasets (data_stream.go): -dataset csv's manifest, and
	// what a bad image does ("" in a run saved before the flag: fail).
	Manifest  string `json:"manifest,omitempty"`
	BadImages string `json:"bad_images,omitempty"`

	MaxImagePixels int    `json:"max_image_pixels"` // larger images are refused as corrupt
	MaxMemory      string `json:"max_memory"`       // "": the memory available

	Model      string  `json:"model"`
	Depth      int     `json:"depth"`
	Width      int     `json:"width"`
	Filters    string  `json:"filters"`
	Hidden     int     `json:"hidden"`
	Blocks     int     `json:"blocks"`
	Activation string  `json:"activation"`
	Norm       string  `json:"norm"`
	InputNorm  string  `json:"input_norm"`
	Dropout    float64 `json:"dropout"`
	Init       string  `json:"init"`
	InitMode   string  `json:"init_mode"`
	InitNonlin string  `json:"init_nonlinearity"`
	InitStd    float64 `json:"init_std"`

	Optimizer string             `json:"optimizer"`
	Options   map[string]float64 `json:"options"` // torch.optim options set on the command line
	L1        float64            `json:"l1"`
	L2        float64            `json:"l2"`
	ClipNorm  float64            `json:"clip_norm"`
	ClipValue float64            `json:"clip_value"`
	SkipNaN   bool               `json:"skip_nonfinite"`

	Schedule      string  `json:"schedule"`
	StepSize      int     `json:"step_size"`
	Gamma         float64 `json:"gamma"`
	Milestones    string  `json:"milestones"`
	TMax          int     `json:"t_max"`
	EtaMin        float64 `json:"eta_min"`
	Patience      int     `json:"patience"`
	Factor        float64 `json:"factor"`
	Warmup        int     `json:"warmup"`
	SchedulePerIt bool    `json:"schedule_per_iteration"`
	// ScheduleRestart is the epoch after which -restart-schedule began the
	// cosine cycle that ends with the run (0: the first cycle).
	ScheduleRestart int `json:"schedule_restart,omitempty"`

	Batch     string `json:"batch"`
	EvalBatch int    `json:"eval_batch"`
	Epochs    int    `json:"epochs"`
	Subset    int    `json:"subset"`

	Augment string `json:"augment"`

	// The best epoch and early stopping (flags_best.go). An empty Monitor,
	// in a run saved before the flag, is val_loss.
	Monitor   string  `json:"monitor"`
	EarlyStop int     `json:"early_stop"`
	MinDelta  float64 `json:"min_delta"`

	Seed    uint64 `json:"seed"`
	Device  string `json:"device"`
	TF32    bool   `json:"tf32"`
	Workers int    `json:"workers"`

	// The recipe's loss, batch mixing and weight averaging (flags_recipe.go).
	LabelSmoothing float64 `json:"label_smoothing,omitempty"`
	ClassWeights   string  `json:"class_weights,omitempty"` // "", auto or a file
	// ClassWeightValues are -class-weights' weights, resolved when the run
	// starts, so that a resumed run keeps them.
	ClassWeightValues []float64 `json:"class_weight_values,omitempty"`
	Mixup             float64   `json:"mixup,omitempty"`
	Cutmix            float64   `json:"cutmix,omitempty"`
	MixProb           float64   `json:"mix_prob"`
	MixSwitchProb     float64   `json:"mix_switch_prob"`
	EMA               float64   `json:"ema,omitempty"`
	EMAWarmup         bool      `json:"ema_warmup,omitempty"`
	Accumulate        int       `json:"accumulate"` // batches per optimizer step
	// The recipe's schedules' options (flags_schedule.go).
	MaxLR          float64 `json:"max_lr,omitempty"`
	PctStart       float64 `json:"pct_start"`
	Anneal         string  `json:"anneal"`
	ThreePhase     bool    `json:"three_phase,omitempty"`
	DivFactor      float64 `json:"div_factor"`
	FinalDivFactor float64 `json:"final_div_factor"`
	CycleMomentum  bool    `json:"cycle_momentum"`
	BaseMomentum   float64 `json:"base_momentum"`
	MaxMomentum    float64 `json:"max_momentum"`
	StartFactor    float64 `json:"start_factor"`
	EndFactor      float64 `json:"end_factor"`
	TotalIters     int     `json:"total_iters"`
	T0             int     `json:"t0,omitempty"`
	TMult          int     `json:"t_mult"`
	// The torchvision models (zoo.go).
	WidthMult  float64 `json:"width_mult,omitempty"`
	Weights    string  `json:"weights,omitempty"`
	NumClasses int     `json:"num_classes,omitempty"`
	Freeze     string  `json:"freeze,omitempty"`
	LRHead     float64 `json:"lr_head,omitempty"`
}

// optimizerOptions maps command-line flags to torch.optim option names.
var optimizerOptions = []struct{ flag, option, usage string }{
	{"lr", "lr", "learning rate (default: the optimizer's PyTorch default)"},
	{"momentum", "momentum", "SGD/RMSProp momentum"},
	{"dampening", "dampening", "SGD dampening"},
	{"weight-decay", "weight_decay", "the optimizer's weight_decay (decoupled for adamw)"},
	{"lr-decay", "lr_decay", "Adagrad lr_decay"},
	{"initial-accumulator", "initial_accumulator_value", "Adagrad initial_accumulator_value"},
	{"eps", "eps", "optimizer epsilon"},
	{"rho", "rho", "AdaDelta rho"},
	{"alpha", "alpha", "RMSProp smoothing constant alpha"},
	{"beta1", "beta1", "Adam/AdamW first betas coefficient"},
	{"beta2", "beta2", "Adam/AdamW second betas coefficient"},
}

// optimizerSwitches are the boolean torch.optim options.
var optimizerSwitches = []struct{ flag, option, usage string }{
	{"nesterov", "nesterov", "SGD Nesterov momentum"},
	{"centered", "centered", "centered RMSProp"},
	{"amsgrad", "amsgrad", "AMSGrad variant of Adam/AdamW"},
}

// OptionOfFlag maps each optimizer flag (-lr, -momentum, …, -nesterov, …)
// to the torch.optim option it sets.
func OptionOfFlag() map[string]string {
	m := map[string]string{}
	for _, o := range optimizerOptions {
		m[o.flag] = o.option
	}
	for _, o := range optimizerSwitches {
		m[o.flag] = o.option
	}
	return m
}

// DefaultConfig is what `go run ./cmd/train` trains: LeNet with batch norm and
// dropout 0.25 on MNIST with Adam and a cosine schedule over 4 epochs.
func DefaultConfig() Config {
	return Config{
		Dataset: "mnist", Split: "6:2:2", ImageSize: 32, Model: "lenet", Depth: 2, Width: 256, Filters: "32,64",
		Hidden: 128, Blocks: 1, Activation: "relu", Norm: "batch", InputNorm: "standardize",
		Init: "default", InitMode: "fan_in", Monitor: "val_loss", BadImages: "fail", Optimizer: "adam", Options: map[string]float64{},
		Dropout: 0.25, Schedule: "cosine", StepSize: 1, Gamma: 0.1, TMax: 0, Patience: 10, Factor: 0.1,
		Batch: "64", EvalBatch: 1000, Epochs: 4, Seed: 1, Device: "cpu", MaxImagePixels: data.DefaultMaxImagePixels,
		MixProb: 1, MixSwitchProb: 0.5, Accumulate: 1,
		PctStart: 0.3, Anneal: "cos", DivFactor: 25, FinalDivFactor: 1e4, CycleMomentum: true, BaseMomentum: 0.85, MaxMomentum: 0.95,
		StartFactor: 1.0 / 3, EndFactor: 1, TotalIters: 5, TMult: 1,
	}
}

// RegisterFlags binds every Config field to a flag of fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Dataset, "dataset", c.Dataset, "mnist, cifar10 (in memory), folder (-data-dir with one subfolder per class, or train/ and val/ ones), csv (-manifest) or tar (-data-dir of *.tar shards), streamed")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder holding the dataset files (default for mnist: the GoMNIST Go module)")
	fs.IntVar(&c.ImageSize, "image-size", c.ImageSize, "folder, csv, tar: resize every image to this square size (bilinear); torchvision models: RandomResizedCrop and flip for training, resize to size·256/224 and centre crop for evaluation")
	fs.IntVar(&c.MaxImagePixels, "max-image-pixels", c.MaxImagePixels, "folder, csv, tar: refuse images whose header declares more pixels (width×height) than this, like corrupt ones")
	fs.StringVar(&c.MaxMemory, "max-memory", c.MaxMemory, "refuse a model and batch whose estimated memory exceeds this (e.g. 8GiB; default: the memory available)")
	fs.StringVar(&c.Split, "split", c.Split, "train:val:test ratios; an official test set stays the test set and train:val split the rest")
	fs.StringVar(&c.Model, "model", c.Model, "lenet, mlp, resnet (CIFAR-style), or torchvision's resnet18, resnet34, resnet50, resnet101, resnet152, mobilenet_v2")
	fs.IntVar(&c.Depth, "depth", c.Depth, "mlp: hidden layers")
	fs.IntVar(&c.Width, "width", c.Width, "mlp: units per hidden layer; resnet: filters of the first stage; resnet18…152: base width (default 64)")
	fs.StringVar(&c.Filters, "filters", c.Filters, "lenet: filters of the two conv layers")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "lenet: units of the hidden linear layer")
	fs.IntVar(&c.Blocks, "blocks", c.Blocks, "resnet: residual blocks per stage (1: ResNet-8, 3: ResNet-20)")
	fs.StringVar(&c.Activation, "activation", c.Activation, "mlp: relu, leaky_relu, tanh or sigmoid")
	fs.StringVar(&c.Norm, "norm", c.Norm, "batch (batch normalization) or none")
	fs.StringVar(&c.InputNorm, "input-norm", c.InputNorm, "standardize ((x−μ)/σ), center (x−μ) or none, with the statistics of the training split (ImageNet's for the streamed folder, csv and tar); or imagenet, standardize with torchvision's ImageNet statistics (the default with -weights)")
	fs.Float64Var(&c.Dropout, "dropout", c.Dropout, "dropout probability p (mlp: after each hidden layer; lenet: before the last layer)")
	fs.StringVar(&c.Init, "init", c.Init, "weight init: default (PyTorch's), xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, normal")
	fs.StringVar(&c.InitMode, "init-mode", c.InitMode, "kaiming fan mode: fan_in or fan_out")
	fs.StringVar(&c.InitNonlin, "init-nonlinearity", c.InitNonlin, "nonlinearity for the init gain (relu, tanh, …; default: the model's activation)")
	fs.Float64Var(&c.InitStd, "init-std", c.InitStd, "standard deviation for -init normal (0: 1)")
	fs.StringVar(&c.Optimizer, "optimizer", c.Optimizer, "sgd, adagrad, adadelta, rmsprop, adam or adamw")
	fs.Float64Var(&c.L1, "l1", c.L1, "L1 penalty λ1·Σ|w| on weights")
	fs.Float64Var(&c.L2, "l2", c.L2, "L2 penalty ½·λ2·Σw² on weights (with -l1: elastic net)")
	fs.Float64Var(&c.ClipNorm, "clip-norm", c.ClipNorm, "clip gradients to this global L2 norm (0: off)")
	fs.Float64Var(&c.ClipValue, "clip-value", c.ClipValue, "clip gradient elements to ±value (0: off)")
	fs.BoolVar(&c.SkipNaN, "skip-nonfinite", c.SkipNaN, "skip a step whose gradient has NaN/Inf instead of stopping")
	fs.StringVar(&c.Schedule, "schedule", c.Schedule, "learning-rate schedule: none, step, multistep, exponential, cosine, plateau, onecycle, linear or cosine-restarts")
	fs.IntVar(&c.StepSize, "step-size", c.StepSize, "step: epochs (or iterations) between decays")
	fs.Float64Var(&c.Gamma, "gamma", c.Gamma, "step, multistep, exponential: decay factor")
	fs.StringVar(&c.Milestones, "milestones", c.Milestones, "multistep: comma-separated epochs")
	fs.IntVar(&c.TMax, "t-max", c.TMax, "cosine: period (0: the number of epochs, or of iterations)")
	fs.Float64Var(&c.EtaMin, "eta-min", c.EtaMin, "cosine: minimum learning rate")
	fs.IntVar(&c.Patience, "patience", c.Patience, "plateau: epochs without improvement of the validation loss")
	fs.Float64Var(&c.Factor, "factor", c.Factor, "plateau: decay factor")
	fs.IntVar(&c.Warmup, "warmup", c.Warmup, "linear learning-rate warm-up over this many schedule steps: epochs, or iterations with -schedule-per-iteration (0: off)")
	fs.BoolVar(&c.SchedulePerIt, "schedule-per-iteration", c.SchedulePerIt, "step the schedule after every iteration instead of every epoch")
	fs.StringVar(&c.Batch, "batch", c.Batch, "batch size: a number (1 for per-sample SGD) or all (full-batch gradient descent)")
	fs.IntVar(&c.EvalBatch, "eval-batch", c.EvalBatch, "batch size for validation and test")
	fs.IntVar(&c.Epochs, "epochs", c.Epochs, "epochs to train")
	fs.IntVar(&c.Subset, "subset", c.Subset, "use only the first N training samples (0: all), e.g. to show overfitting")
	fs.StringVar(&c.Augment, "augment", c.Augment, "augmentations, comma-separated: hflip, vflip, translate=PIXELS, rotate=DEGREES, crop=PAD, cutout=SIZE, erase, jitter=STRENGTH, randaugment=N,M (torchvision's RandAugment, default 2,9), trivialaugment (TrivialAugmentWide); each may end with @P, its probability (flips default to 0.5)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "seed of weights, split, shuffling, augmentation and dropout")
	fs.StringVar(&c.Device, "device", c.Device, "cpu or gpu (gpu needs a binary built with -tags gpu)")
	fs.BoolVar(&c.TF32, "tf32", c.TF32, "gpu: matrix products (linear layers, convolutions) in TF32 on tensor cores")
	fs.IntVar(&c.Workers, "workers", c.Workers, "goroutines preparing batches (0: one per core)")
	c.registerBestFlags(fs)
	c.registerStreamFlags(fs)
	c.registerRecipeFlags(fs)
	c.registerScheduleFlags(fs)
	c.registerZooFlags(fs)
}

// OptimizerFlags are the torch.optim option flags; Collect reads the ones
// that were set into c.Options, so unset options keep PyTorch's defaults.
type OptimizerFlags struct {
	values   map[string]*float64
	switches map[string]*bool
}

// RegisterOptimizerFlags registers the torch.optim option flags on fs.
func RegisterOptimizerFlags(fs *flag.FlagSet) *OptimizerFlags {
	of := &OptimizerFlags{values: map[string]*float64{}, switches: map[string]*bool{}}
	for _, o := range optimizerOptions {
		of.values[o.flag] = fs.Float64(o.flag, 0, o.usage)
	}
	for _, o := range optimizerSwitches {
		of.switches[o.flag] = fs.Bool(o.flag, false, o.usage)
	}
	return of
}

// Collect copies the option flags that were set into c.Options.
func (of *OptimizerFlags) Collect(fs *flag.FlagSet, c *Config) {
	fs.Visit(func(f *flag.Flag) {
		for _, o := range optimizerOptions {
			if o.flag == f.Name {
				c.Options[o.option] = *of.values[o.flag]
			}
		}
		for _, o := range optimizerSwitches {
			if o.flag == f.Name {
				c.Options[o.option] = 0
				if *of.switches[o.flag] {
					c.Options[o.option] = 1
				}
			}
		}
	})
}

// solverOptions converts the stored options to solvers.New's map.
func (c *Config) solverOptions() map[string]any {
	opts := map[string]any{}
	for k, v := range c.Options {
		switch k {
		case "nesterov", "centered", "amsgrad":
			opts[k] = v != 0
		case "beta1", "beta2":
		default:
			opts[k] = v
		}
	}
	b1, ok1 := c.Options["beta1"]
	b2, ok2 := c.Options["beta2"]
	if ok1 || ok2 {
		if !ok1 {
			b1 = 0.9
		}
		if !ok2 {
			b2 = 0.999
		}
		opts["betas"] = []float64{b1, b2}
	}
	return opts
}

// batchSize resolves -batch against the training set size.
func (c *Config) batchSize(trainLen int) (int, error) {
	if c.Batch == "all" {
		return trainLen, nil
	}
	n, err := strconv.Atoi(c.Batch)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("flag -batch: %q is neither a positive number nor all", c.Batch)
	}
	return min(n, trainLen), nil
}

// IntList parses "32,64" for the flag of that name.
func IntList(flagName, s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("flag -%s: %q is not a list of non-negative integers", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}
