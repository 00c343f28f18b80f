package recipe

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/trainer"
)

// Bounds of the size flags. They keep every shape product far from int
// overflow; the memory estimate (-max-memory) is what refuses a model too big
// for this machine.
const (
	maxDepth     = 1024
	maxBlocks    = 256
	maxUnits     = 1 << 24 // -width, -hidden
	maxFilters   = 1 << 20
	maxImageSide = 1 << 15
	maxWorkers   = 1024
	maxEpochs    = 1 << 24
	MaxBatch     = 1 << 24
)

// Validate checks every field for range and finiteness before anything is
// read or allocated; the error names the flag and the value.
func (c *Config) Validate() error {
	oneOf := func(flag, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("flag -%s: unknown %q (want %s)", flag, v, strings.Join(allowed, ", "))
	}
	intIn := func(flag string, v, lo, hi int) error {
		if v < lo || v > hi {
			return fmt.Errorf("flag -%s: %d is not in [%d, %d]", flag, v, lo, hi)
		}
		return nil
	}
	// finite checks lo ≤ v (lo < v when open) and v ≤ hi.
	finite := func(flag string, v, lo, hi float64, open bool) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("flag -%s: %v is not a finite number", flag, v)
		}
		if v < lo || (open && v == lo) || v > hi {
			interval := "["
			if open {
				interval = "("
			}
			return fmt.Errorf("flag -%s: %v is not in %s%v, %v]", flag, v, interval, lo, hi)
		}
		return nil
	}
	inf := math.Inf(1)
	checks := []func() error{
		func() error { return oneOf("dataset", c.Dataset, DatasetKinds...) },
		func() error {
			if c.BadImages == "" { // a run saved before -bad-images
				return nil
			}
			return oneOf("bad-images", c.BadImages, "fail", "skip")
		},
		func() error {
			if _, err := data.ParseRatios(c.Split); err != nil {
				return fmt.Errorf("flag -split: %w", err)
			}
			return nil
		},
		func() error { return intIn("image-size", c.ImageSize, 1, maxImageSide) },
		func() error { return intIn("max-image-pixels", c.MaxImagePixels, 1, math.MaxInt32) },
		func() error {
			_, err := parseBytes(c.MaxMemory)
			return err
		},
		func() error { return oneOf("model", c.Model, Models...) },
		func() error { return intIn("depth", c.Depth, 0, maxDepth) },
		func() error { return intIn("width", c.Width, 1, maxUnits) },
		func() error {
			f, err := IntList("filters", c.Filters)
			if err != nil || len(f) != 2 || f[0] < 1 || f[1] < 1 || f[0] > maxFilters || f[1] > maxFilters {
				return fmt.Errorf("flag -filters: %q is not two numbers in [1, %d]", c.Filters, maxFilters)
			}
			return nil
		},
		func() error { return intIn("hidden", c.Hidden, 1, maxUnits) },
		func() error { return intIn("blocks", c.Blocks, 1, maxBlocks) },
		func() error { _, err := activation(c.Activation); return err },
		func() error { return oneOf("norm", c.Norm, "batch", "none") },
		func() error { return parseInputNorm(c.InputNorm) },
		func() error {
			if err := finite("dropout", c.Dropout, 0, 1, false); err != nil || c.Dropout < 1 {
				return err
			}
			return fmt.Errorf("flag -dropout: %v is not in [0, 1)", c.Dropout)
		},
		func() error { _, err := c.weightInit(); return err },
		func() error { return finite("init-std", c.InitStd, 0, inf, false) },
		func() error {
			return oneOf("optimizer", c.Optimizer, "sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw")
		},
		func() error {
			for _, o := range optimizerOptions {
				if v, ok := c.Options[o.option]; ok {
					if err := finite(o.flag, v, -inf, inf, false); err != nil {
						return err
					}
				}
			}
			return nil
		},
		func() error { return finite("l1", c.L1, 0, inf, false) },
		func() error { return finite("l2", c.L2, 0, inf, false) },
		func() error { return finite("clip-norm", c.ClipNorm, 0, inf, false) },
		func() error { return finite("clip-value", c.ClipValue, 0, inf, false) },
		func() error {
			return oneOf("schedule", c.Schedule, append([]string{"none", "step", "multistep", "exponential", "cosine", "plateau"}, recipeSchedules...)...)
		},
		func() error { return intIn("step-size", c.StepSize, 1, math.MaxInt32) },
		func() error { return finite("gamma", c.Gamma, 0, inf, true) },
		func() error {
			ms, err := IntList("milestones", c.Milestones)
			for i := 1; err == nil && i < len(ms); i++ {
				if ms[i] <= ms[i-1] {
					err = fmt.Errorf("flag -milestones: %q is not increasing", c.Milestones)
				}
			}
			return err
		},
		func() error { return intIn("t-max", c.TMax, 0, math.MaxInt32) },
		func() error { return finite("eta-min", c.EtaMin, 0, inf, false) },
		func() error { return intIn("patience", c.Patience, 0, math.MaxInt32) },
		func() error {
			if err := finite("factor", c.Factor, 0, 1, true); err != nil || c.Factor < 1 {
				return err
			}
			return fmt.Errorf("flag -factor: %v is not in (0, 1)", c.Factor)
		},
		func() error { return intIn("warmup", c.Warmup, 0, math.MaxInt32) },
		func() error {
			if c.ScheduleRestart < 0 || c.ScheduleRestart >= max(c.Epochs, 1) {
				return fmt.Errorf("schedule restart after epoch %d of %d", c.ScheduleRestart, c.Epochs)
			}
			return nil
		},
		func() error {
			if c.Monitor == "" { // a run saved before -monitor
				return nil
			}
			return oneOf("monitor", c.Monitor, trainer.MonitorValLoss, trainer.MonitorValAcc)
		},
		func() error { return intIn("early-stop", c.EarlyStop, 0, maxEpochs) },
		func() error { return finite("min-delta", c.MinDelta, 0, inf, false) },
		func() error {
			if c.Batch == "all" {
				return nil
			}
			n, err := strconv.Atoi(c.Batch)
			if err != nil || n < 1 || n > MaxBatch {
				return fmt.Errorf("flag -batch: %q is neither a number in [1, %d] nor all", c.Batch, MaxBatch)
			}
			return nil
		},
		func() error { return intIn("eval-batch", c.EvalBatch, 1, MaxBatch) },
		func() error { return intIn("epochs", c.Epochs, 1, maxEpochs) },
		func() error { return intIn("subset", c.Subset, 0, math.MaxInt32) },
		func() error {
			ch, h, w := c.inputShape()
			if _, err := augment.ParseSpec(c.Augment, ch, h, w); err != nil {
				return fmt.Errorf("flag -augment: %w", err)
			}
			return nil
		},
		func() error { return oneOf("device", c.Device, "cpu", "gpu") },
		func() error { return intIn("workers", c.Workers, 0, maxWorkers) },
		c.validateRecipe,
		c.validateSchedule,
		c.validateZoo,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

// inputShape is the model's input shape as far as the flags fix it: MNIST
// and CIFAR-10 have theirs; an image folder is resized to -image-size and has
// one or three channels (three assumed here).
func (c *Config) inputShape() (ch, h, w int) {
	switch c.Dataset {
	case "mnist":
		return 1, 28, 28
	case "cifar10":
		return 3, 32, 32
	}
	return 3, c.ImageSize, c.ImageSize
}

// parseBytes reads -max-memory: a number of bytes with an optional unit (KB,
// MB, GB, TB powers of 1000; KiB, MiB, GiB, TiB powers of 1024); empty or 0
// means the memory available.
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		scale  float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	scale := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, scale = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v >= 0) || v*scale >= math.MaxInt64 {
		return 0, fmt.Errorf("flag -max-memory: %q is not a size such as 8GiB, 500MB or 0 (the memory available)", s)
	}
	return int64(v * scale), nil
}

// checkBatchNorm refuses batches of one sample with batch norm, naming the
// flag that made them: -batch 1, or a training split of one sample.
func (c *Config) checkBatchNorm(batch, trainLen int) error {
	if batch != 1 || c.Norm != "batch" {
		return nil
	}
	if c.Batch == "1" {
		return fmt.Errorf("flag -batch 1: batch normalization needs batches of two or more; add -norm none")
	}
	return fmt.Errorf("the training split holds %d sample (flags -subset %d, -split %s): batch normalization needs batches of two or more; add -norm none, or train on more samples",
		trainLen, c.Subset, c.Split)
}
