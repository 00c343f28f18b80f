package sweeps

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/trainer"
)

// mnistSweep holds the flags shared by the sweeps that train on MNIST: a small
// training subset (overfitting needs few samples), a validation subset (the
// error that picks the best setting; evaluating all 15000 validation images
// every epoch would cost more than training), optional label noise, and the
// run's seed and data folder.
type mnistSweep struct {
	dataDir string
	subset  int
	val     int
	test    int // test images kept (the first N of the test split); 0: none
	noise   float64
	epochs  int
	batch   string
	seed    uint64
	workers int
	verbose bool
}

// registerEpochs adds -epochs, for the sweeps that train by epochs rather
// than by steps.
func (m *mnistSweep) registerEpochs(fs *flag.FlagSet) {
	fs.IntVar(&m.epochs, "epochs", m.epochs, "epochs per run")
}

func (m *mnistSweep) register(fs *flag.FlagSet) {
	fs.StringVar(&m.dataDir, "data-dir", m.dataDir, "folder holding the MNIST files (default: the GoMNIST Go module)")
	fs.IntVar(&m.subset, "subset", m.subset, "training images (the first N of the seeded training split)")
	fs.IntVar(&m.val, "val", m.val, "validation images (the first N of the validation split)")
	fs.Float64Var(&m.noise, "label-noise", m.noise, "fraction of training labels replaced by a random other class (validation stays clean)")
	fs.StringVar(&m.batch, "batch", m.batch, "batch size, or all")
	fs.Uint64Var(&m.seed, "seed", m.seed, "seed of split, weights, shuffling, augmentation, dropout and label noise")
	fs.IntVar(&m.workers, "workers", m.workers, "goroutines preparing batches (0: one per core)")
	fs.BoolVar(&m.verbose, "v", m.verbose, "print every run's epochs")
}

// config is the base configuration of every run of the sweep: an MLP on
// MNIST, standardized inputs, PyTorch's initialization, Adam with its rate
// annealed to zero over the epochs (cosine), so that every run ends settled
// rather than wherever its last noisy step left it, and no regularization of
// any kind (no batch norm, dropout, penalty or augmentation) unless the sweep
// sets it. Every choice is spelled out, so that a change of train's defaults
// leaves the sweeps as they are.
func (m *mnistSweep) config() recipe.Config {
	cfg := recipe.DefaultConfig()
	cfg.DataDir, cfg.Subset, cfg.Epochs, cfg.Batch, cfg.Seed, cfg.Workers = m.dataDir, m.subset, m.epochs, m.batch, m.seed, m.workers
	cfg.Dataset, cfg.Split, cfg.Model, cfg.Activation, cfg.InputNorm = "mnist", "8:2", "mlp", "relu", "standardize"
	cfg.Init, cfg.InitMode, cfg.InitNonlin, cfg.InitStd = "default", "fan_in", "", 0
	cfg.Norm, cfg.Dropout, cfg.L1, cfg.L2, cfg.Augment = "none", 0, 0, 0, ""
	cfg.ClipNorm, cfg.ClipValue, cfg.SkipNaN = 0, 0, false
	cfg.Optimizer, cfg.Options, cfg.Schedule, cfg.TMax, cfg.EtaMin, cfg.Warmup, cfg.SchedulePerIt = "adam", map[string]float64{}, "cosine", 0, 0, 0, false
	return cfg
}

func (m *mnistSweep) check() error {
	switch {
	case m.subset < 1:
		return errNotPositive("subset", m.subset)
	case m.val < 1:
		return errNotPositive("val", m.val)
	case m.epochs < 1:
		return errNotPositive("epochs", m.epochs)
	case !(m.noise >= 0 && m.noise <= 1):
		return fmt.Errorf("flag -label-noise: %g is outside [0, 1]", m.noise)
	}
	return nil
}

// setup prepares one run of cfg: the validation split cut to -val images,
// the test split cut to m.test images (none by default: a sweep compares
// settings on validation data), and label noise on the training split.
func (m *mnistSweep) setup(cfg recipe.Config, so *sweepOut) (*recipe.Run, error) {
	log := io.Discard
	if m.verbose {
		log = so.log
	}
	r, err := recipe.Setup(cfg, log)
	if err != nil {
		return nil, err
	}
	if n := min(m.val, r.Data.Val.Len()); n < r.Data.Val.Len() {
		r.Data.Val = r.Data.Val.Subset(firstN(n))
	}
	test := r.Data.Test
	r.Data.Test = &data.Dataset{Classes: test.Classes}
	if n := min(m.test, test.Len()); n > 0 {
		r.Data.Test = test.Subset(firstN(n))
	}
	r.Data.Train = noisyLabels(r.Data.Train, m.noise, cfg.Seed)
	return r, nil
}

func firstN(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// labelNoiseStream ("noisy" in ASCII) is the label noise's random stream of
// the run seed.
const labelNoiseStream = 0x6e6f697379

// noisyLabels returns ds with round(frac·N) labels, at seeded random
// positions, replaced by a different class drawn uniformly.
func noisyLabels(ds *data.Dataset, frac float64, seed uint64) *data.Dataset {
	n := int(math.Round(frac * float64(ds.Len())))
	if n == 0 {
		return ds
	}
	out := ds.Subset(firstN(ds.Len()))
	rng := rand.New(rand.NewPCG(seed, labelNoiseStream))
	classes := len(ds.Classes)
	for _, i := range rng.Perm(ds.Len())[:n] {
		out.Labels[i] = (out.Labels[i] + 1 + rng.IntN(classes-1)) % classes
	}
	return out
}

// runResult is what a sweep reports of one finished MNIST run: errors on the
// (possibly noisy) training split in evaluation mode and on the validation
// split, and the per-epoch history.
type runResult struct {
	Params     int                   `json:"params"`
	TrainError float64               `json:"train_error"`
	ValError   float64               `json:"val_error"`
	Gap        float64               `json:"gap"` // validation error − training error
	TrainLoss  float64               `json:"train_loss"`
	ValLoss    float64               `json:"val_loss"`
	Seconds    float64               `json:"seconds"`
	Epochs     []recipe.EpochMetrics `json:"epochs"`
}

// trainRun trains r for its configured epochs and measures the result. The
// validation split is evaluated after every epoch only when curves asks for
// it (the augment sweep's learning curves); the others need it once, at the
// end, and save the time.
func trainRun(r *recipe.Run, curves bool) (runResult, error) {
	val := r.Data.Val
	if !curves {
		r.Data.Val = &data.Dataset{Classes: val.Classes}
	}
	f, err := r.Train()
	r.Data.Val = val
	if err != nil {
		return runResult{}, err
	}
	res := runResult{Params: r.Trainer.Model().NumParams(), TrainError: 1 - float64(f.TrainEvalAcc), TrainLoss: float64(f.TrainEvalLoss),
		Seconds: f.Seconds, Epochs: r.History}
	valLoss, valAcc, err := r.Evaluate(val)
	if err != nil {
		return runResult{}, err
	}
	res.ValError, res.ValLoss = 1-float64(valAcc), float64(valLoss)
	res.Gap = res.ValError - res.TrainError
	return res, nil
}

// stepLog is the per-step record of a run trained step by step.
type stepLog struct {
	Loss     []recipe.Metric `json:"loss"`     // training loss of each step (null once diverged)
	Seconds  []recipe.Metric `json:"seconds"`  // wall time since the start, after each step
	Diverged int             `json:"diverged"` // the step whose loss was no longer finite (0: none)
}

// finalLoss is the mean training loss of the last tenth of the steps; NaN
// for a run that diverged.
func (lg stepLog) finalLoss() float64 {
	if len(lg.Loss) == 0 || lg.Diverged > 0 {
		return math.NaN()
	}
	n := max(1, len(lg.Loss)/10)
	var sum float64
	for _, l := range lg.Loss[len(lg.Loss)-n:] {
		sum += float64(l)
	}
	return sum / float64(n)
}

// trainSteps runs steps training steps of r, epoch after epoch, calling each
// after every step (step counts from 1) while the parameters' gradients are
// those of that step, before the optimizer's update. A non-finite loss or
// gradient ends the run early and is recorded in Diverged, not returned as an
// error: showing divergence is what some sweeps are for. The validation split
// is not evaluated between epochs.
func trainSteps(r *recipe.Run, steps int, each func(step int)) (stepLog, error) {
	var lg stepLog
	t := r.Trainer
	if each != nil {
		t.OnGradients(func(trainer.StepInfo) error {
			each(len(lg.Loss) + 1)
			return nil
		})
	}
	start := time.Now()
	t.OnStep(func(s trainer.StepInfo) error {
		lg.Loss = append(lg.Loss, recipe.Metric(s.Loss))
		lg.Seconds = append(lg.Seconds, recipe.Metric(time.Since(start).Seconds()))
		if len(lg.Loss) == steps {
			return trainer.Stop
		}
		return nil
	})
	val := r.Data.Val
	r.Data.Val = &data.Dataset{Classes: val.Classes}
	err := t.Fit(context.Background(), math.MaxInt)
	r.Data.Val = val
	if errors.Is(err, trainer.ErrDiverged) {
		lg.Diverged = len(lg.Loss) + 1
		return lg, nil
	}
	return lg, err
}
