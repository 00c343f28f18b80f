package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
)

// Config is what a Trainer is built from.
type Config struct {
	Model *graph.Model
	// Device is "cpu" (the default) or "gpu" (GPU 0; needs the gpu build).
	// Backend, when set, is used instead: any graph.Backend, such as the
	// device backend on the CPU emulation of the CUDA kernels.
	Device  string
	Backend graph.Backend
	// Optimizer holds its parameter groups (see graph.Model.Trainable).
	Optimizer *solvers.Optimizer
	// Schedule, if not nil, sets the learning rate: stepped after every epoch
	// with the validation loss (NaN without Val), or after every step with the
	// step's loss when SchedulePerStep is set.
	Schedule        solvers.Schedule
	SchedulePerStep bool
	Train           Loader
	// Val, if not nil, is evaluated after every epoch (EpochInfo.Val).
	Val Loader
}

// StepInfo describes a training step, for the hooks.
type StepInfo struct {
	Epoch     int    // the epoch under way, from 1
	Batch     int    // the batch's position in the epoch, from 0
	Iteration uint64 // training steps run so far, this one included
	Loss      float64
	Correct   int // right predictions (training mode) of a classifier
	N         int // samples in the batch
	Skipped   int // bad images the loader left out of the batch
}

// EpochInfo describes a finished epoch, for the hooks.
type EpochInfo struct {
	Epoch     int
	LR        float64 // group 0's learning rate during the epoch
	TrainLoss float64 // mean over the epoch's samples (training mode)
	TrainAcc  float64
	Images    int
	Seconds   float64 // training time, evaluation excluded
	Skipped   int     // bad images the training loader left out
	Val       Result  // NaN figures without Config.Val
}

// ErrDiverged is the error of a run whose loss or gradient is no longer
// finite (unless the optimizer skips such steps).
var ErrDiverged = errors.New("training diverged")

// Stop, returned by a hook, ends Fit cleanly after the current step (or
// epoch, once every epoch hook has seen it); Fit then returns nil.
var Stop = errors.New("trainer: stop")

// Trainer trains a model: the one training loop of Descent. It keeps the
// parameters and the optimizer's state on the device when the backend can
// (graph.ResidentBackend), and brings them to the host only when something
// reads them there: State, Sync, Penalty, a gradient hook.
type Trainer struct {
	model     *graph.Model
	machine   *graph.Machine
	opt       *solvers.Optimizer
	schedule  solvers.Schedule
	perStep   bool
	train     Loader
	val       Loader
	device    graph.ResidentBackend // the backend, when it can keep the parameters
	resident  graph.ResidentBackend // device, once the parameters and the optimizer live there
	inRuns    bool                  // the update runs inside the training runs (no gradient hooks)
	hostStale bool                  // the device's values are newer than the host's
	closer    io.Closer             // the backend, when the trainer opened it
	epoch     int                   // epochs completed
	labels    *graph.Buffer         // the labels of the current batch in the model's dtype

	stepHooks, gradientHooks []func(StepInfo) error
	epochHooks               []func(EpochInfo) error
}

// New builds a trainer. On a backend that can keep them (a
// graph.ResidentBackend), the parameters and the optimizer's state move to the
// device when training starts, so that a step moves only the batch up and the
// loss down; without gradient hooks the update even runs inside each training
// run's CUDA graph (solvers.Optimizer.OnDeviceInTraining).
func New(cfg Config) (*Trainer, error) {
	switch {
	case cfg.Model == nil:
		return nil, errors.New("trainer: no model")
	case cfg.Optimizer == nil:
		return nil, errors.New("trainer: no optimizer")
	}
	t := &Trainer{model: cfg.Model, opt: cfg.Optimizer, schedule: cfg.Schedule, perStep: cfg.SchedulePerStep,
		train: cfg.Train, val: cfg.Val, labels: graph.NewBuffer(cfg.Model.Dtype, 0)}
	backend := cfg.Backend
	if backend == nil {
		b, err := OpenDevice(cfg.Device, cfg.Model)
		if err != nil {
			return nil, err
		}
		backend = b
		t.closer, _ = b.(io.Closer)
	}
	t.device, _ = backend.(graph.ResidentBackend)
	t.machine = graph.NewMachine(cfg.Model, backend)
	return t, nil
}

// toDevice moves parameters and optimizer to the device before the first
// training step, with the update inside the training runs unless a gradient
// hook needs the gradients between backward pass and update.
func (t *Trainer) toDevice() error {
	if t.device == nil {
		return nil
	}
	if t.resident != nil {
		if t.inRuns && len(t.gradientHooks) > 0 {
			return errors.New("trainer: add gradient hooks before training starts on a device")
		}
		return nil
	}
	inRuns := len(t.gradientHooks) == 0
	move := t.opt.OnDevice
	if inRuns {
		move = t.opt.OnDeviceInTraining
	}
	if err := move(t.device); err != nil {
		return fmt.Errorf("trainer: moving the optimizer to the %s device: %w", t.device.Name(), err)
	}
	t.resident, t.inRuns = t.device, inRuns
	return nil
}

// OpenDevice returns the backend of a device name: "cpu" (or "") or "gpu",
// GPU 0, which the default build cannot open (it says to build with -tags gpu).
func OpenDevice(device string, m *graph.Model) (graph.Backend, error) {
	switch device {
	case "", "cpu":
		return graph.CPU{}, nil
	case "gpu":
		b, err := graph.NewCUDA(m, 0)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return nil, fmt.Errorf("unknown device %q (want cpu or gpu)", device)
}

// Close frees the device the trainer opened itself (Config.Device "gpu").
func (t *Trainer) Close() error {
	if t.closer == nil {
		return nil
	}
	err := t.closer.Close()
	t.closer = nil
	return err
}

// OnStep adds a hook run after every training step.
func (t *Trainer) OnStep(h func(StepInfo) error) { t.stepHooks = append(t.stepHooks, h) }

// OnGradients adds a hook run after the backward pass and before the
// update, with this step's gradients in the parameters' Grad buffers on the
// host (which costs a download on a resident device). On a device, add it
// before the first Fit: it keeps the update out of the training runs.
func (t *Trainer) OnGradients(h func(StepInfo) error) {
	t.gradientHooks = append(t.gradientHooks, h)
}

// OnEpoch adds a hook run after every epoch, once the schedule has stepped:
// State then is the state after that epoch.
func (t *Trainer) OnEpoch(h func(EpochInfo) error) { t.epochHooks = append(t.epochHooks, h) }

// Model is the model being trained.
func (t *Trainer) Model() *graph.Model { return t.model }

// Machine runs the model's programs.
func (t *Trainer) Machine() *graph.Machine { return t.machine }

// Optimizer is the optimizer updating the model.
func (t *Trainer) Optimizer() *solvers.Optimizer { return t.opt }

// SetSchedule replaces the learning-rate schedule (nil: none), for a run
// that starts a new cycle where a restored one ended.
func (t *Trainer) SetSchedule(s solvers.Schedule) { t.schedule = s }

// Epoch is the number of epochs completed.
func (t *Trainer) Epoch() int { return t.epoch }

// Fit trains until epochs epochs are complete (so after Restore it continues
// where the saved run stopped). It ends early, after a step, when ctx is
// cancelled (returning ctx's error) or a hook returns Stop (returning nil).
// A loss or gradient that is no longer finite is ErrDiverged, unless the
// optimizer skips such steps; any other error, a device's included, is
// returned as it is.
func (t *Trainer) Fit(ctx context.Context, epochs int) error {
	if t.train == nil {
		return errors.New("trainer: no training loader")
	}
	if err := t.toDevice(); err != nil {
		return err
	}
	for t.epoch < epochs {
		err := t.fitEpoch(ctx)
		if errors.Is(err, Stop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *Trainer) fitEpoch(ctx context.Context) error {
	epoch := t.epoch + 1
	info := EpochInfo{Epoch: epoch, LR: t.opt.LR(0)}
	start := time.Now()
	var lossSum float64
	var correct int
	for b := range t.train.Epoch(epoch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		s, err := t.step(epoch, b)
		if err != nil {
			return fmt.Errorf("epoch %d, batch %d: %w", epoch, b.Index+1, err)
		}
		lossSum += s.Loss * float64(s.N)
		correct += s.Correct
		info.Images += s.N
		info.Skipped += s.Skipped
		for _, h := range t.stepHooks {
			if err := h(s); err != nil {
				return err
			}
		}
	}
	if err := loaderErr(t.train); err != nil {
		return fmt.Errorf("epoch %d: %w", epoch, err)
	}
	info.Seconds = time.Since(start).Seconds()
	info.TrainLoss, info.TrainAcc = lossSum/float64(info.Images), float64(correct)/float64(info.Images)
	info.Val = Result{Loss: math.NaN(), Accuracy: math.NaN()}
	if t.val != nil {
		var err error
		if info.Val, err = t.Evaluate(t.val); err != nil {
			return err
		}
	}
	if info.Val.Count > 0 && !isFinite(info.Val.Loss) || info.Images > 0 && !isFinite(info.TrainLoss) {
		return fmt.Errorf("%w: loss is no longer finite after epoch %d", ErrDiverged, epoch)
	}
	if t.schedule != nil && !t.perStep {
		t.schedule.Step(info.Val.Loss)
	}
	t.epoch = epoch
	// Every hook sees the epoch even when an earlier one stops the run, so
	// that a checkpoint hook saves the last epoch of an early stop.
	var stop error
	for _, h := range t.epochHooks {
		if err := h(info); errors.Is(err, Stop) {
			stop = err
		} else if err != nil {
			return err
		}
	}
	return stop
}

// step trains on one batch: forward and backward, the gradient hooks, the
// update and a per-step schedule step.
func (t *Trainer) step(epoch int, b *Batch) (StepInfo, error) {
	labels, err := t.labelsOf(b)
	if err != nil {
		return StepInfo{}, err
	}
	loss, correct, err := t.machine.TrainStep(b.X, labels)
	if err != nil {
		return StepInfo{}, err
	}
	t.hostStale = t.resident != nil
	s := StepInfo{Epoch: epoch, Batch: b.Index, Iteration: t.machine.Iteration(), Loss: loss, Correct: correct, N: b.N(), Skipped: b.Skipped}
	if !isFinite(loss) {
		return s, fmt.Errorf("%w: loss is %v", ErrDiverged, loss)
	}
	if len(t.gradientHooks) > 0 {
		if err := t.Sync(); err != nil {
			return s, err
		}
		for _, h := range t.gradientHooks {
			if err := h(s); err != nil {
				return s, err
			}
		}
	}
	err = t.opt.Step()
	t.hostStale = t.resident != nil // the update changed the device's values, whatever a hook read before
	// Only a gradient that is no longer finite is divergence: any other error
	// of the update (a failed device call) is reported as what it is.
	var nf *solvers.NonFiniteError
	switch {
	case err == nil:
	case !errors.As(err, &nf):
		return s, err
	case !nf.Skipped:
		return s, fmt.Errorf("%w: %v", ErrDiverged, err)
	}
	if t.schedule != nil && t.perStep {
		t.schedule.Step(loss)
	}
	return s, nil
}

// labelsOf returns a batch's labels as the model's label input.
func (t *Trainer) labelsOf(b *Batch) (*graph.Buffer, error) {
	if b.Targets != nil {
		return b.Targets, nil
	}
	if b.X == nil || len(b.X.Shape) == 0 || len(b.Labels) != b.X.Shape[0] {
		return nil, fmt.Errorf("trainer: a batch needs N inputs and N labels or targets")
	}
	n := len(b.Labels)
	l := t.labels
	l.Shape = append(l.Shape[:0], n)
	if t.model.Dtype == tensor.Float32 {
		if cap(l.F32) < n {
			l.F32 = make([]float32, n)
		}
		l.F32 = l.F32[:n]
		for i, v := range b.Labels {
			l.F32[i] = float32(v)
		}
	} else {
		if cap(l.F64) < n {
			l.F64 = make([]float64, n)
		}
		l.F64 = l.F64[:n]
		for i, v := range b.Labels {
			l.F64[i] = float64(v)
		}
	}
	return l, nil
}

// Sync brings the parameters, gradients and running statistics back from the
// device when the device's are newer; the host's graph.Param buffers then
// hold the current values.
func (t *Trainer) Sync() error {
	if !t.hostStale {
		return nil
	}
	if err := t.resident.PullParams(); err != nil {
		return fmt.Errorf("trainer: downloading the parameters from the device: %w", err)
	}
	t.hostStale = false
	return nil
}

// Penalty is the optimizer's current regularization penalty (see
// solvers.Optimizer.Penalty), read from current values.
func (t *Trainer) Penalty() (float64, error) {
	if err := t.Sync(); err != nil {
		return 0, err
	}
	return t.opt.Penalty(), nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
