package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
)

// run is one training run being set up or going on.
type run struct {
	cfg      Config
	out      string // run folder; "" writes nothing
	log      io.Writer
	progress bool

	data        *dataset
	batch       int
	trainLoader *augment.Loader                   // shuffled, augmented
	evalLoaders map[*data.Dataset]*augment.Loader // one per split, made on first use
	model       *graph.Model
	machine     *graph.Machine
	opt         *solvers.Optimizer
	resident    graph.ResidentBackend // the GPU backend: parameters and optimizer live on the device
	schedule    solvers.Schedule
	history     []epochMetrics
	epoch       int // epochs completed
	saved       int // the epoch of the last checkpoint written or resumed from (0: none)
}

// setup builds data, model, machine, optimizer and schedule from cfg.
func setup(cfg Config, out string, log io.Writer) (*run, error) {
	r := &run{cfg: cfg, out: out, log: log}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var err error
	if r.data, err = cfg.loadData(); err != nil {
		return nil, err
	}
	if r.batch, err = cfg.batchSize(r.data.Train.Len()); err != nil {
		return nil, err
	}
	if err := cfg.checkBatchNorm(r.batch, r.data.Train.Len()); err != nil {
		return nil, err
	}
	if err := cfg.checkMemory(r.data, r.batch); err != nil {
		return nil, err
	}
	if r.trainLoader, err = cfg.loader(r.data, r.data.Train, r.batch, true); err != nil {
		return nil, err
	}
	if r.model, err = cfg.buildModel(r.data.C, r.data.H, r.data.W, len(r.data.Classes), r.batch); err != nil {
		return nil, err
	}
	backend, err := newBackend(cfg.Device, r.model)
	if err != nil {
		return nil, fmt.Errorf("flag -device %s: %w", cfg.Device, err)
	}
	if cfg.TF32 {
		if err := enableTF32(backend); err != nil {
			return nil, fmt.Errorf("flag -tf32: %w", err)
		}
	}
	r.machine = graph.NewMachine(r.model, backend)
	opts := cfg.solverOptions()
	opts["l1"], opts["l2"] = cfg.L1, cfg.L2
	opts["clip_grad_norm"], opts["clip_grad_value"], opts["skip_nonfinite"] = cfg.ClipNorm, cfg.ClipValue, cfg.SkipNaN
	if r.opt, err = solvers.New(cfg.Optimizer, opts); err != nil {
		return nil, optionError(err)
	}
	var params []*graph.Param
	for _, p := range r.model.Params {
		if p.Trainable() {
			params = append(params, p)
		}
	}
	if err := r.opt.AddGroup(params, nil); err != nil {
		return nil, err
	}
	if rb, ok := backend.(graph.ResidentBackend); ok {
		// The whole step runs on the device: only the batch goes up, the loss
		// and count come down; the host's copies are refreshed by syncHost.
		if err := r.opt.OnDevice(rb); err != nil {
			return nil, fmt.Errorf("flag -device %s: %w", cfg.Device, err)
		}
		r.resident = rb
	}
	if r.schedule, err = cfg.newSchedule(r.opt, r.stepsPerEpoch()); err != nil {
		return nil, err
	}
	return r, nil
}

// optionError names the command-line flag of a rejected optimizer option.
func optionError(err error) error {
	return fmt.Errorf("optimizer options (flags -lr, -momentum, …): %w", err)
}

func (r *run) stepsPerEpoch() int {
	n := r.data.Train.Len()
	if r.cfg.dropsLastSample(n, r.batch) {
		return n / r.batch
	}
	return (n + r.batch - 1) / r.batch
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
		ms, err := intList("milestones", cfg.Milestones)
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
	default:
		return nil, fmt.Errorf("flag -schedule: unknown %q (want none, step, multistep, exponential, cosine or plateau)", cfg.Schedule)
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

// resume restores the state saved in the run folder's checkpoint.
func (r *run) resume(ck *checkpoint) error {
	if err := restore(r.model, ck.Params); err != nil {
		return err
	}
	if r.resident != nil {
		if err := r.resident.PushParams(); err != nil {
			return fmt.Errorf("restoring the parameters on the device: %w", err)
		}
	}
	if err := r.opt.SetState(ck.Optimizer); err != nil {
		return fmt.Errorf("checkpoint optimizer state: %w", err)
	}
	if r.schedule != nil {
		if ck.Schedule == nil {
			return fmt.Errorf("checkpoint has no schedule state")
		}
		if err := r.schedule.SetState(*ck.Schedule); err != nil {
			return fmt.Errorf("checkpoint schedule state: %w", err)
		}
	}
	r.machine.SetIteration(ck.Iteration)
	r.epoch, r.history, r.saved = ck.Epoch, ck.Metrics, ck.Epoch
	return nil
}

func (r *run) checkpoint() error {
	if r.out == "" {
		return nil
	}
	optState, err := r.opt.State()
	if err != nil {
		return err
	}
	ck := &checkpoint{Config: r.cfg, Epoch: r.epoch, Iteration: r.machine.Iteration(),
		Params: snapshot(r.model), Optimizer: optState, Metrics: r.history}
	if r.schedule != nil {
		st := r.schedule.State()
		ck.Schedule = &st
	}
	if err := saveCheckpoint(r.out, ck); errors.Is(err, errNotFinite) {
		return fmt.Errorf("%w: after epoch %d, %v", errDiverged, r.epoch, err)
	} else if err != nil {
		return err
	}
	r.saved = r.epoch
	// config.json is written with the checkpoint it describes, so that a run
	// that fails earlier leaves a folder's previous run whole.
	if err := writeJSON(filepath.Join(r.out, "config.json"), r.cfg); err != nil {
		return err
	}
	if err := writeMetrics(r.out, r.history, nil); err != nil {
		return err
	}
	return exportSafetensors(filepath.Join(r.out, "model.safetensors"), r.model)
}

// labelBuffer converts a batch's labels to the model's label input.
func labelBuffer(dst *graph.Buffer, labels []int) *graph.Buffer {
	if cap(dst.F32) < len(labels) {
		dst.F32 = make([]float32, len(labels))
	}
	dst.F32 = dst.F32[:len(labels)]
	dst.Shape = []int{len(labels)}
	for i, l := range labels {
		dst.F32[i] = float32(l)
	}
	return dst
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// errDiverged stops a run whose loss is no longer finite.
var errDiverged = errors.New("training diverged")

// step trains on one batch: forward and backward, then onGradients (if not
// nil) while the gradients are this batch's, then the optimizer update and a
// per-iteration schedule step. A loss or gradient that is no longer finite is
// errDiverged, unless -skip-nonfinite skips that update.
func (r *run) step(b *augment.Batch, labels *graph.Buffer, onGradients func()) (loss float64, correct int, err error) {
	x := &graph.Buffer{Shape: []int{b.N, b.C, b.H, b.W}, F32: b.X}
	if loss, correct, err = r.machine.TrainStep(x, labelBuffer(labels, b.Labels)); err != nil {
		return loss, correct, err
	}
	if !isFinite(loss) {
		return loss, correct, fmt.Errorf("%w: loss is %v (lower -lr, or add -clip-norm)", errDiverged, loss)
	}
	if onGradients != nil {
		if err := r.syncHost(); err != nil {
			return loss, correct, err
		}
		onGradients()
	}
	if err := r.opt.Step(); err != nil {
		var nf *solvers.NonFiniteError
		if !errors.As(err, &nf) || !nf.Skipped {
			return loss, correct, fmt.Errorf("%w: %v", errDiverged, err)
		}
	}
	if r.schedule != nil && r.cfg.SchedulePerIt {
		r.schedule.Step(loss)
	}
	return loss, correct, nil
}

// trainEpoch runs one epoch and returns its metrics.
func (r *run) trainEpoch() (epochMetrics, error) {
	epoch := r.epoch + 1
	start := time.Now()
	var bar *progressbar.ProgressBar
	if r.progress {
		bar = progressbar.NewOptions(r.data.Train.Len(), progressbar.OptionSetWriter(os.Stderr), // images
			progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, r.cfg.Epochs)),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
			progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(), progressbar.OptionSetWidth(30))
	}
	var lossSum float64
	var correct, seen int
	labels := &graph.Buffer{}
	lr := r.opt.LR(0)
	for b := range r.trainLoader.Epoch(epoch) {
		loss, ok, err := r.step(b, labels, nil)
		if err != nil {
			return epochMetrics{}, fmt.Errorf("epoch %d, batch %d: %w", epoch, b.Index+1, err)
		}
		lossSum += loss * float64(b.N)
		correct += ok
		seen += b.N
		if bar != nil {
			bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f", epoch, r.cfg.Epochs, lossSum/float64(seen)))
			bar.Add(b.N)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	secs := time.Since(start).Seconds()
	if err := r.syncHost(); err != nil {
		return epochMetrics{}, err
	}
	return epochMetrics{Epoch: epoch, LR: lr, TrainLoss: lossSum / float64(seen), TrainAcc: float64(correct) / float64(seen),
		Penalty: r.opt.Penalty(), ImagesPerSec: float64(seen) / secs, Seconds: secs}, nil
}

// syncHost brings the parameters, gradients and running statistics back from
// the device, when they live there, for what reads them on the host: the
// penalty, checkpoints, exports, gradient hooks.
func (r *run) syncHost() error {
	if r.resident == nil {
		return nil
	}
	if err := r.resident.PullParams(); err != nil {
		return fmt.Errorf("downloading the parameters from the device: %w", err)
	}
	return nil
}

// evaluate returns the mean loss and accuracy over a split in evaluation mode;
// NaN for an empty split.
func (r *run) evaluate(ds *data.Dataset) (loss, acc metric, err error) {
	if ds.Len() == 0 {
		return metric(math.NaN()), metric(math.NaN()), nil
	}
	loader := r.evalLoaders[ds]
	if loader == nil {
		if loader, err = r.cfg.loader(r.data, ds, min(r.cfg.EvalBatch, ds.Len()), false); err != nil {
			return 0, 0, err
		}
		if r.evalLoaders == nil {
			r.evalLoaders = map[*data.Dataset]*augment.Loader{}
		}
		r.evalLoaders[ds] = loader
	}
	labels := &graph.Buffer{}
	var sum float64
	var correct int
	for b := range loader.Epoch(0) {
		x := &graph.Buffer{Shape: []int{b.N, b.C, b.H, b.W}, F32: b.X}
		l, c, _, err := r.machine.Evaluate(x, labelBuffer(labels, b.Labels))
		if err != nil {
			return 0, 0, err
		}
		sum += l * float64(b.N)
		correct += c
	}
	return metric(sum / float64(ds.Len())), metric(float64(correct) / float64(ds.Len())), nil
}

// train runs the remaining epochs, then the final evaluation.
func (r *run) train() (*finalMetrics, error) {
	start := time.Now()
	fmt.Fprintf(r.log, "%s on %s: %d train / %d val / %d test images of %d×%d×%d, %d classes; %d parameters; batch %d; %s on %s\n",
		r.cfg.Model, r.cfg.Dataset, r.data.Train.Len(), r.data.Val.Len(), r.data.Test.Len(), r.data.C, r.data.H, r.data.W,
		len(r.data.Classes), r.model.NumParams(), r.batch, r.cfg.Optimizer, r.machine.Backend.Name())
	for r.epoch < r.cfg.Epochs {
		m, err := r.trainEpoch()
		if err != nil {
			return nil, err
		}
		if m.ValLoss, m.ValAcc, err = r.evaluate(r.data.Val); err != nil {
			return nil, err
		}
		if r.data.Val.Len() > 0 && !isFinite(float64(m.ValLoss)) || !isFinite(m.TrainLoss) {
			return nil, fmt.Errorf("%w: loss is no longer finite after epoch %d (lower -lr, or add -clip-norm)", errDiverged, m.Epoch)
		}
		if r.schedule != nil && !r.cfg.SchedulePerIt {
			r.schedule.Step(float64(m.ValLoss))
		}
		r.history = append(r.history, m)
		r.epoch++
		fmt.Fprintf(r.log, "epoch %d/%d  lr %.3g  train loss %.4f err %.2f%%  val loss %.4f err %.2f%%  %.0f img/s  %.1fs\n",
			m.Epoch, r.cfg.Epochs, m.LR, m.TrainLoss, 100*(1-m.TrainAcc), m.ValLoss, 100*(1-m.ValAcc), m.ImagesPerSec, m.Seconds)
		if err := r.checkpoint(); err != nil {
			return nil, err
		}
	}
	f := &finalMetrics{Epochs: r.epoch}
	var err error
	if f.TestLoss, f.TestAcc, err = r.evaluate(r.data.Test); err != nil {
		return nil, err
	}
	if f.TrainEvalLoss, f.TrainEvalAcc, err = r.evaluate(r.data.Train); err != nil {
		return nil, err
	}
	f.GeneralizationGap = (1 - f.TestAcc) - (1 - f.TrainEvalAcc) // test error − train error
	for _, m := range r.history {
		f.Seconds += m.Seconds
	}
	fmt.Fprintf(r.log, "test loss %.4f  test accuracy %.2f%%  (train error %.2f%%, test error %.2f%%, generalization gap %+.2f points)  %.0fs\n",
		f.TestLoss, 100*f.TestAcc, 100*(1-f.TrainEvalAcc), 100*(1-f.TestAcc), 100*f.GeneralizationGap, time.Since(start).Seconds())
	if r.out != "" {
		if err := writeMetrics(r.out, r.history, f); err != nil {
			return nil, err
		}
		if err := plotCurves(r.out, r.history); err != nil {
			return nil, err
		}
	}
	return f, nil
}
