package recipe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/evaluation"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// Run is one training run of a Config: its data, model and trainer.
type Run struct {
	Cfg      Config
	Log      io.Writer // the per-epoch lines and the final one
	Progress bool      // draw a progress bar on stderr
	Data     *Dataset  // a sweep may cut the splits before training
	Batch    int
	Trainer  *trainer.Trainer
	History  []EpochMetrics // one entry per epoch completed
	// Best follows the best epoch by -monitor (nil without a validation
	// split); with -early-stop it also stops the run.
	Best *trainer.Best
	// TestReport is the final evaluation's report (nil before Train, or
	// without a test split).
	TestReport *evaluation.Report

	evalLoaders map[data.Source]trainer.Loader // one per split, made on first use
	val         *splitLoader                   // the validation split after every epoch
}

// Setup builds data, model, device, optimizer, schedule and trainer from cfg,
// the model's weights loaded from -weights when set.
func Setup(cfg Config, log io.Writer) (*Run, error) { return setup(cfg, log, true, nil) }

// SetupToRestore is Setup for a run whose parameters are restored next from
// a checkpoint: -weights is not read.
func SetupToRestore(cfg Config, log io.Writer) (*Run, error) { return setup(cfg, log, false, nil) }

// SetupWithData is Setup on data that the caller prepared (a sweep's)
// instead of cfg's dataset.
func SetupWithData(cfg Config, d *Dataset, log io.Writer) (*Run, error) {
	return setup(cfg, log, true, d)
}

func setup(cfg Config, log io.Writer, loadWeights bool, d *Dataset) (*Run, error) {
	r := &Run{Cfg: cfg, Log: log}
	r.val = &splitLoader{r: r}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var err error
	if r.Data = d; d == nil {
		if r.Data, err = cfg.loadData(); err != nil {
			return nil, err
		}
	}
	if r.Data.Listing != "" {
		fmt.Fprintln(log, r.Data.Listing)
	}
	r.val.split = r.Data.ValSource
	if r.Batch, err = cfg.batchSize(r.Data.TrainSource().Len()); err != nil {
		return nil, err
	}
	if err := cfg.checkBatchNorm(r.Batch, r.Data.TrainSource().Len()); err != nil {
		return nil, err
	}
	if err := cfg.checkMemory(r.Data, r.Batch); err != nil {
		return nil, err
	}
	trainLoader, err := cfg.loader(r.Data, r.Data.TrainSource(), r.Batch, true)
	if err != nil {
		return nil, err
	}
	if err := cfg.resolveClassWeights(r.Data.TrainSource(), len(r.Data.Classes)); err != nil {
		return nil, err
	}
	r.Cfg = cfg
	model, err := cfg.buildModel(r.Data.C, r.Data.H, r.Data.W, len(r.Data.Classes), r.Batch)
	if err != nil {
		return nil, err
	}
	if loadWeights {
		if err := r.loadWeights(model); err != nil {
			return nil, err
		}
	}
	backend, err := NewBackend(cfg.Device, model)
	if err != nil {
		return nil, fmt.Errorf("flag -device %s: %w", cfg.Device, err)
	}
	if cfg.TF32 {
		if err := EnableTF32(backend); err != nil {
			return nil, fmt.Errorf("flag -tf32: %w", err)
		}
	}
	opts := cfg.solverOptions()
	opts["l1"], opts["l2"] = cfg.L1, cfg.L2
	opts["clip_grad_norm"], opts["clip_grad_value"], opts["skip_nonfinite"] = cfg.ClipNorm, cfg.ClipValue, cfg.SkipNaN
	opt, err := solvers.New(cfg.Optimizer, opts)
	if err != nil {
		return nil, OptionError(err)
	}
	if err := cfg.addParamGroups(opt, model); err != nil {
		return nil, err
	}
	schedule, err := cfg.newSchedule(opt, r.stepsPerEpoch())
	if err != nil {
		return nil, err
	}
	recipe, err := cfg.trainerRecipe(model, len(r.Data.Classes))
	if err != nil {
		return nil, err
	}
	r.Trainer, err = trainer.New(trainer.Config{Model: model, Backend: backend, Optimizer: opt,
		Schedule: schedule, SchedulePerStep: cfg.schedulePerStep(), Train: trainer.Images(trainLoader), Val: r.val, Recipe: recipe})
	if err != nil {
		return nil, fmt.Errorf("flag -device %s: %w", cfg.Device, err)
	}
	r.attachProgress()
	r.Trainer.OnEpoch(r.record)
	if err := r.trackBest(); err != nil {
		return nil, err
	}
	return r, nil
}

// OptionError names the command-line flag of a rejected optimizer option.
func OptionError(err error) error {
	return fmt.Errorf("optimizer options (flags -lr, -momentum, …): %w", err)
}

// stepsPerEpoch is the optimizer steps of an epoch: its batches, or with
// -accumulate K, its groups of K batches (the last one perhaps smaller).
func (r *Run) stepsPerEpoch() int {
	n := r.Data.TrainSource().Len()
	batches := (n + r.Batch - 1) / r.Batch
	if r.Cfg.dropsLastSample(n, r.Batch) {
		batches = n / r.Batch
	}
	return (batches + r.Cfg.accumulation() - 1) / r.Cfg.accumulation()
}

// newSchedule builds -schedule with -warmup around it; nil for none.
func (cfg *Config) newSchedule(opt *solvers.Optimizer, stepsPerEpoch int) (solvers.Schedule, error) {
	opts := map[string]any{}
	typ := cfg.Schedule
	switch cfg.Schedule {
	case "none":
		if cfg.Warmup == 0 {
			return nil, nil
		}
		typ = "constant"
	case "step":
		opts["step_size"], opts["gamma"] = cfg.StepSize, cfg.Gamma
	case "multistep":
		ms, err := IntList("milestones", cfg.Milestones)
		if err != nil {
			return nil, err
		}
		anyMs := make([]any, len(ms))
		for i, m := range ms {
			anyMs[i] = m
		}
		opts["milestones"], opts["gamma"] = anyMs, cfg.Gamma
	case "exponential":
		opts["gamma"] = cfg.Gamma
	case "cosine":
		tmax := cfg.TMax
		if tmax == 0 {
			tmax = cfg.Epochs - cfg.ScheduleRestart
			if cfg.SchedulePerIt {
				tmax *= stepsPerEpoch
			}
		}
		opts["T_max"], opts["eta_min"] = tmax, cfg.EtaMin
	case "plateau":
		opts["patience"], opts["factor"] = cfg.Patience, cfg.Factor
	case "onecycle", "linear", "cosine-restarts":
		typ = cfg.recipeScheduleOptions(opt, stepsPerEpoch, opts)
	default:
		return nil, fmt.Errorf("flag -schedule: unknown %q (want none, step, multistep, exponential, cosine, plateau, onecycle, linear or cosine-restarts)", cfg.Schedule)
	}
	if cfg.Warmup > 0 {
		opts["warmup_iters"] = cfg.Warmup
	}
	s, err := solvers.NewSchedule(typ, opt, opts)
	if err != nil {
		return nil, fmt.Errorf("flag -schedule %s: %w", cfg.Schedule, err)
	}
	return s, nil
}

// Resume continues from a saved state and the metrics of its epochs.
func (r *Run) Resume(st trainer.State, history []EpochMetrics) error {
	if err := r.Trainer.Restore(st); err != nil {
		return err
	}
	r.History = history
	return nil
}

// RestartSchedule starts the new cosine cycle of -restart-schedule (over the
// epochs after Cfg.ScheduleRestart) once a checkpoint's state is restored:
// from the saved schedule's base learning rates.
func (r *Run) RestartSchedule(baseLRs []float64) error {
	opt := r.Trainer.Optimizer()
	for g, lr := range baseLRs {
		opt.SetLR(g, lr)
	}
	s, err := r.Cfg.newSchedule(opt, r.stepsPerEpoch())
	if err != nil {
		return err
	}
	r.Trainer.SetSchedule(s)
	return nil
}

// attachProgress draws a bar of the epoch's images when r.Progress is set.
func (r *Run) attachProgress() {
	var bar *progressbar.ProgressBar
	var lossSum float64
	var seen int
	r.Trainer.OnStep(func(s trainer.StepInfo) error {
		if !r.Progress {
			return nil
		}
		if bar == nil {
			bar = progressbar.NewOptions(r.Data.TrainSource().Len(), progressbar.OptionSetWriter(os.Stderr), // images
				progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", s.Epoch, r.Cfg.Epochs)),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
			lossSum, seen = 0, 0
		}
		lossSum += s.Loss * float64(s.N)
		seen += s.N
		bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f", s.Epoch, r.Cfg.Epochs, lossSum/float64(seen)))
		return bar.Add(s.N)
	})
	r.Trainer.OnEpoch(func(trainer.EpochInfo) error {
		if bar != nil {
			bar.Finish()
			bar = nil
		}
		return nil
	})
}

// record appends an epoch to the history and prints its line.
func (r *Run) record(e trainer.EpochInfo) error {
	if r.val.err != nil {
		return fmt.Errorf("validation split: %w", r.val.err)
	}
	m := EpochMetrics{Epoch: e.Epoch, LR: e.LR, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc,
		ValLoss: Metric(e.Val.Loss), ValAcc: Metric(e.Val.Accuracy), ImagesPerSec: float64(e.Images) / e.Seconds, Seconds: e.Seconds,
		SkippedImages: e.Skipped}
	r.recordRecipe(&m, e)
	if r.Cfg.L1 != 0 || r.Cfg.L2 != 0 { // the penalty reads the weights on the host
		var err error
		if m.Penalty, err = r.Trainer.Penalty(); err != nil {
			return err
		}
	}
	r.History = append(r.History, m)
	fmt.Fprintf(r.Log, "epoch %d/%d  lr %.3g  train loss %.4f err %.2f%%%s  val loss %.4f err %.2f%%%s  %.0f img/s  %.1fs\n",
		m.Epoch, r.Cfg.Epochs, m.LR, m.TrainLoss, 100*(1-m.TrainAcc), r.trainErrNote(), m.ValLoss, 100*(1-m.ValAcc), emaLine(m), m.ImagesPerSec, m.Seconds)
	return nil
}

// splitLoader yields the batches of one of the run's splits as it is when
// asked (a sweep may cut the split after Setup), in evaluation mode. A split
// whose loader cannot be made yields nothing and keeps the error, which ends
// the epoch's record.
type splitLoader struct {
	r     *Run
	split func() data.Source
	err   error
	last  trainer.Loader // the loader of the latest epoch
}

func (s *splitLoader) Epoch(epoch int) iter.Seq[*trainer.Batch] {
	return func(yield func(*trainer.Batch) bool) {
		s.last = nil
		ds := s.split()
		if ds.Len() == 0 {
			return
		}
		l, err := s.r.evalLoader(ds)
		if err != nil {
			s.err = err
			return
		}
		s.last = l
		l.Epoch(epoch)(yield)
	}
}

// Err is the error that ended the latest epoch's loader early (an image that
// cannot be read).
func (s *splitLoader) Err() error {
	if el, ok := s.last.(trainer.ErrLoader); ok {
		return el.Err()
	}
	return nil
}

// evalLoader returns the evaluation loader of a split.
func (r *Run) evalLoader(ds data.Source) (trainer.Loader, error) {
	if l := r.evalLoaders[ds]; l != nil {
		return l, nil
	}
	l, err := r.Cfg.loader(r.Data, ds, min(r.Cfg.EvalBatch, ds.Len()), false)
	if err != nil {
		return nil, err
	}
	if r.evalLoaders == nil {
		r.evalLoaders = map[data.Source]trainer.Loader{}
	}
	r.evalLoaders[ds] = trainer.Images(l)
	return r.evalLoaders[ds], nil
}

// Evaluate returns the mean loss and accuracy over a split in evaluation
// mode; NaN for an empty split.
func (r *Run) Evaluate(ds data.Source) (loss, acc Metric, err error) {
	if ds.Len() == 0 {
		return Metric(math.NaN()), Metric(math.NaN()), nil
	}
	l, err := r.evalLoader(ds)
	if err != nil {
		return 0, 0, err
	}
	res, err := r.Trainer.Evaluate(l)
	if err != nil {
		return 0, 0, r.Cfg.imageError(err)
	}
	return Metric(res.Loss), Metric(res.Accuracy), nil
}

// Train runs the remaining epochs, then the final evaluation.
func (r *Run) Train() (*FinalMetrics, error) {
	start := time.Now()
	m := r.Trainer.Model()
	fmt.Fprintf(r.Log, "%s on %s: %d train / %d val / %d test images of %d×%d×%d, %d classes; %d parameters; batch %d; %s on %s\n",
		r.Cfg.Model, r.Cfg.Dataset, r.Data.TrainSource().Len(), r.Data.ValSource().Len(), r.Data.TestSource().Len(), r.Data.C, r.Data.H, r.Data.W,
		len(r.Data.Classes), m.NumParams(), r.Batch, r.Cfg.Optimizer, r.Trainer.Machine().Backend.Name())
	if r.Best == nil || !r.Best.Stopped() { // a resumed run may have stopped early already
		if err := r.Trainer.Fit(context.Background(), r.Cfg.Epochs); err != nil {
			if errors.Is(err, trainer.ErrDiverged) {
				return nil, fmt.Errorf("%w (lower -lr, or add -clip-norm)", err)
			}
			return nil, r.Cfg.imageError(err)
		}
	}
	f := &FinalMetrics{Epochs: r.Trainer.Epoch()}
	if err := r.useBest(f); err != nil {
		return nil, err
	}
	var err error
	if err = r.testReport(f); err != nil {
		return nil, err
	}
	if f.TrainEvalLoss, f.TrainEvalAcc, err = r.Evaluate(r.Data.TrainSource()); err != nil {
		return nil, err
	}
	f.GeneralizationGap = (1 - f.TestAcc) - (1 - f.TrainEvalAcc) // test error − train error
	for _, m := range r.History {
		f.Seconds += m.Seconds
	}
	fmt.Fprintf(r.Log, "test loss %.4f  test accuracy %.2f%%  (train error %.2f%%, test error %.2f%%, generalization gap %+.2f points)  %.0fs\n",
		f.TestLoss, 100*f.TestAcc, 100*(1-f.TrainEvalAcc), 100*(1-f.TestAcc), 100*f.GeneralizationGap, time.Since(start).Seconds())
	return f, nil
}
