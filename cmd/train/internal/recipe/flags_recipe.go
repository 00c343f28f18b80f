package recipe

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// The flags of today's recipes: the loss's label smoothing and class weights,
// batch mixing (mixup, cutmix) and an exponential moving average of the
// weights. Their Config fields are grouped under "recipe" in config.go.

// maxClassWeightsBytes bounds a -class-weights file: a weight per class of
// any real data set fits many times over.
const maxClassWeightsBytes = 1 << 20

// registerRecipeFlags binds the recipe's Config fields to flags of fs.
func (c *Config) registerRecipeFlags(fs *flag.FlagSet) {
	fs.Float64Var(&c.LabelSmoothing, "label-smoothing", c.LabelSmoothing, "label smoothing ε in [0, 1) of the cross-entropy (PyTorch's label_smoothing)")
	fs.StringVar(&c.ClassWeights, "class-weights", c.ClassWeights, "weights of the classes in the loss: auto (inverse frequency over the training split, mean 1) or a file of one non-negative weight per class, in class order")
	fs.Var(positiveFlag{&c.Mixup, "mixup α"}, "mixup", "mixup with λ ~ Beta(α, α) on every batch (timm's batch mode; α > 0)")
	fs.Var(positiveFlag{&c.Cutmix, "cutmix α"}, "cutmix", "cutmix with λ ~ Beta(α, α) on every batch (timm's batch mode; α > 0)")
	fs.Float64Var(&c.MixProb, "mix-prob", c.MixProb, "with -mixup or -cutmix: probability that a batch is mixed")
	fs.Float64Var(&c.MixSwitchProb, "mix-switch-prob", c.MixSwitchProb, "with -mixup and -cutmix: probability that a mixed batch uses cutmix")
	fs.Var(decayFlag{&c.EMA}, "ema", "keep an exponential moving average of the weights with this decay in (0, 1), evaluated every epoch and exported as ema.safetensors")
	fs.BoolVar(&c.EMAWarmup, "ema-warmup", c.EMAWarmup, "with -ema: decay min(DECAY, (1+t)/(10+t)) after t updates, as timm's ModelEma")
	fs.IntVar(&c.Accumulate, "accumulate", c.Accumulate, "sum the gradients of K batches before each optimizer step: an effective batch of K × -batch (schedule and step count follow optimizer steps)")
}

// positiveFlag is a float flag that must be finite and > 0 when given (its
// unset 0 turns the feature off).
type positiveFlag struct {
	v    *float64
	what string
}

func (f positiveFlag) String() string {
	if f.v == nil {
		return "0"
	}
	return strconv.FormatFloat(*f.v, 'g', -1, 64)
}

func (f positiveFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%s must be a finite number > 0 (leave the flag out to turn it off)", f.what)
	}
	*f.v = v
	return nil
}

// decayFlag is -ema: a decay in (0, 1) when given.
type decayFlag struct{ v *float64 }

func (f decayFlag) String() string { return positiveFlag{v: f.v}.String() }

func (f decayFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0 && v < 1) {
		return fmt.Errorf("EMA decay must be in (0, 1), e.g. 0.999")
	}
	*f.v = v
	return nil
}

// validateRecipe checks the recipe's fields (also those of a config.json,
// which no flag parsed).
func (c *Config) validateRecipe() error {
	switch {
	case !(c.LabelSmoothing >= 0 && c.LabelSmoothing < 1):
		return fmt.Errorf("flag -label-smoothing: %v is not in [0, 1)", c.LabelSmoothing)
	case !(c.Mixup >= 0) || math.IsInf(c.Mixup, 0):
		return fmt.Errorf("flag -mixup: %v is not a finite number > 0", c.Mixup)
	case !(c.Cutmix >= 0) || math.IsInf(c.Cutmix, 0):
		return fmt.Errorf("flag -cutmix: %v is not a finite number > 0", c.Cutmix)
	case !(c.MixProb >= 0 && c.MixProb <= 1):
		return fmt.Errorf("flag -mix-prob: %v is not in [0, 1]", c.MixProb)
	case !(c.MixSwitchProb >= 0 && c.MixSwitchProb <= 1):
		return fmt.Errorf("flag -mix-switch-prob: %v is not in [0, 1]", c.MixSwitchProb)
	case !(c.EMA >= 0 && c.EMA < 1):
		return fmt.Errorf("flag -ema: %v is not in (0, 1)", c.EMA)
	case c.EMAWarmup && c.EMA == 0:
		return fmt.Errorf("flag -ema-warmup: warms up an EMA, which needs -ema DECAY")
	case c.Accumulate < 1 || c.Accumulate > MaxBatch:
		return fmt.Errorf("flag -accumulate: %d is not in [1, %d]", c.Accumulate, MaxBatch)
	}
	if c.ClassWeights == "" || c.ClassWeights == "auto" || c.ClassWeightValues != nil {
		return c.checkClassWeightCount(len(c.ClassWeightValues))
	}
	weights, err := readClassWeights(c.ClassWeights)
	if err != nil {
		return err
	}
	return c.checkClassWeightCount(len(weights))
}

// checkClassWeightCount refuses n weights for a data set whose number of
// classes the flags fix (MNIST and CIFAR-10: 10) when they differ; a folder's
// classes are counted when it is read.
func (c *Config) checkClassWeightCount(n int) error {
	if n == 0 || c.Dataset == "folder" || n == 10 {
		return nil
	}
	return fmt.Errorf("flag -class-weights %s: %d weights for the %d classes of %s", c.ClassWeights, n, 10, c.Dataset)
}

// readClassWeights reads a -class-weights file: non-negative finite numbers
// separated by white space or commas, not all 0.
func readClassWeights(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("flag -class-weights: %w", err)
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxClassWeightsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("flag -class-weights: %w", err)
	}
	if len(text) > maxClassWeightsBytes {
		return nil, fmt.Errorf("flag -class-weights %s: the file is larger than %d bytes", path, maxClassWeightsBytes)
	}
	fields := strings.FieldsFunc(string(text), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
	if len(fields) == 0 {
		return nil, fmt.Errorf("flag -class-weights %s: the file holds no weights", path)
	}
	weights := make([]float64, len(fields))
	var sum float64
	for i, s := range fields {
		w, err := strconv.ParseFloat(s, 64)
		if err != nil || !(w >= 0) || math.IsInf(w, 0) {
			return nil, fmt.Errorf("flag -class-weights %s: weight %d, %q, is not a finite number ≥ 0", path, i+1, s)
		}
		weights[i], sum = w, sum+w
	}
	if sum == 0 {
		return nil, fmt.Errorf("flag -class-weights %s: every weight is 0", path)
	}
	return weights, nil
}

// resolveClassWeights sets ClassWeightValues from -class-weights once the
// training split is known, unless a resumed run's configuration holds them.
func (c *Config) resolveClassWeights(train data.Source, classes int) error {
	if c.ClassWeights == "" || c.ClassWeightValues != nil {
		return c.classWeightsFit(classes)
	}
	if c.ClassWeights != "auto" {
		w, err := readClassWeights(c.ClassWeights)
		if err != nil {
			return err
		}
		c.ClassWeightValues = w
		return c.classWeightsFit(classes)
	}
	counts := make([]int, classes)
	for i := range train.Len() {
		counts[train.Label(i)]++
	}
	// Inverse frequency, scaled to mean 1 over the classes present; a class
	// absent from the training split gets weight 0 (it contributes no sample).
	w := make([]float64, classes)
	var sum float64
	present := 0
	for k, n := range counts {
		if n > 0 {
			w[k] = 1 / float64(n)
			sum += w[k]
			present++
		}
	}
	if present == 0 {
		return fmt.Errorf("flag -class-weights auto: the training split is empty")
	}
	for k := range w {
		w[k] *= float64(present) / sum
	}
	c.ClassWeightValues = w
	return nil
}

// classWeightsFit refuses weights whose count is not the data set's classes.
func (c *Config) classWeightsFit(classes int) error {
	if n := len(c.ClassWeightValues); n != 0 && n != classes {
		return fmt.Errorf("flag -class-weights %s: %d weights for the %d classes of the data set", c.ClassWeights, n, classes)
	}
	return nil
}

// mixes reports whether training batches are mixed (the model then takes
// soft targets).
func (c *Config) mixes() bool { return c.Mixup > 0 || c.Cutmix > 0 }

// lossOptions are the cross-entropy's options.
func (c *Config) lossOptions() graph.CrossEntropyOptions {
	return graph.CrossEntropyOptions{LabelSmoothing: c.LabelSmoothing, ClassWeights: c.ClassWeightValues}
}

// trainerRecipe is the trainer's part of the recipe for model.
func (c *Config) trainerRecipe(model *graph.Model, classes int) (trainer.Recipe, error) {
	r := trainer.Recipe{Accumulate: c.Accumulate}
	if c.mixes() {
		r.Mix = &augment.Mix{MixupAlpha: c.Mixup, CutmixAlpha: c.Cutmix, Prob: c.MixProb, SwitchProb: c.MixSwitchProb, Classes: classes}
		r.MixSeed = c.Seed
	}
	if c.EMA > 0 {
		ema, err := solvers.NewEMA(model.Params, c.EMA, c.EMAWarmup)
		if err != nil {
			return r, fmt.Errorf("flag -ema: %w", err)
		}
		r.EMA = ema
	}
	return r, nil
}

// dominantLabel is EpochMetrics.TrainAccOf with mixed batches.
const dominantLabel = "dominant label of the mixed targets"

// recordRecipe adds the recipe's figures to an epoch's metrics.
func (r *Run) recordRecipe(m *EpochMetrics, e trainer.EpochInfo) {
	if r.Cfg.mixes() {
		m.TrainAccOf = dominantLabel
	}
	if r.Cfg.EMA > 0 {
		loss, acc := Metric(e.EMAVal.Loss), Metric(e.EMAVal.Accuracy)
		m.EMAValLoss, m.EMAValAcc = &loss, &acc
	}
}

// trainErrNote marks the training error of mixed batches in the epoch line.
func (r *Run) trainErrNote() string {
	if r.Cfg.mixes() {
		return " (dominant label)"
	}
	return ""
}

// emaLine is the EMA's part of the epoch line.
func emaLine(m EpochMetrics) string {
	if m.EMAValLoss == nil {
		return ""
	}
	return fmt.Sprintf("  ema val loss %.4f err %.2f%%", *m.EMAValLoss, 100*(1-*m.EMAValAcc))
}

// accumulation is -accumulate, 1 in a configuration written before it.
func (c *Config) accumulation() int { return max(c.Accumulate, 1) }
