package graph

import (
	"fmt"
	"math"
	"slices"
)

// Backend runs compiled Programs on a device.
type Backend interface {
	// Name is "cpu" or "cuda".
	Name() string
	// Run executes every step of p in order.
	Run(p *Program, iteration uint64) error
}

// ResidentBackend is a Backend with memory of its own that can keep the
// model's parameters there between runs (the CUDA backend): then a step moves
// nothing but the batch up and the loss and the count of right predictions
// down, and an optimizer's update runs there too (AttachUpdate, which
// solvers.Optimizer.OnDevice calls).
type ResidentBackend interface {
	Backend
	// SetResident(true) keeps the parameters on the device (uploading them
	// once); SetResident(false) makes each run upload them and each training
	// run download the gradients and running statistics, for host solvers.
	SetResident(on bool) error
	// PushParams uploads every parameter value and gradient (after a
	// restore); PullParams downloads them (before a checkpoint, after
	// training).
	PushParams() error
	PullParams() error
	// AttachUpdate keeps the parameters on the device and prepares an
	// optimizer's update there, with its state slots.
	AttachUpdate(UpdatePlan) (DeviceUpdate, error)
	// AttachAverage keeps the parameters on the device and a moving average
	// of them there (solvers.EMA.OnDevice calls it).
	AttachAverage(params []*Param) (DeviceAverage, error)
	// Close frees the device memory.
	Close() error
}

// CPU is the default Backend: Go kernels from package kernels, on all cores,
// with a fixed partitioning of the work so results do not depend on GOMAXPROCS.
type CPU struct{}

// Name implements Backend.
func (CPU) Name() string { return "cpu" }

// Run implements Backend.
func (CPU) Run(p *Program, iteration uint64) error {
	ctx := &execContext{training: p.Training, iteration: iteration, work: p.Workspace}
	for i := range p.Steps {
		s := &p.Steps[i]
		if err := s.k.exec(ctx, s.In, s.Out); err != nil {
			return fmt.Errorf("step %d (%s): %w", i, s.Name, err)
		}
	}
	return nil
}

// Machine runs a Model on a Backend. It compiles one Program per batch size and
// mode on first use and keeps it, so a partial last batch or a larger
// evaluation batch needs no rebuilding by the caller.
type Machine struct {
	Model     *Model
	Backend   Backend
	programs  map[programKey]*Program
	iteration uint64 // training steps run; seeds each step's dropout masks
	input     []int  // the model's input shape
	perLabel  int    // label values per sample
}

type programKey struct {
	batch    int
	training bool
}

// NewMachine prepares m to run on b.
func NewMachine(m *Model, b Backend) *Machine {
	return &Machine{Model: m, Backend: b, programs: map[programKey]*Program{},
		input: m.Input.Shape(), perLabel: ShapeSize(m.Labels.Shape()[1:])}
}

// Iteration is the number of training steps run so far.
func (mc *Machine) Iteration() uint64 { return mc.iteration }

// SetIteration restores the step counter (when resuming from a checkpoint).
func (mc *Machine) SetIteration(it uint64) { mc.iteration = it }

// Program returns the compiled program for a batch size and mode.
func (mc *Machine) Program(batch int, training bool) (*Program, error) {
	key := programKey{batch, training}
	if p, ok := mc.programs[key]; ok {
		return p, nil
	}
	p, err := compile(mc.Model, batch, training, training)
	if err != nil {
		return nil, err
	}
	mc.programs[key] = p
	return p, nil
}

// bind checks x and labels against the model and attaches them to p's inputs.
func (mc *Machine) bind(x, labels *Buffer, training bool) (*Program, error) {
	if len(x.Shape) == 0 || x.Dtype() != mc.Model.Dtype {
		return nil, fmt.Errorf("input batch of shape %v and dtype %v, the model takes %v of %v", x.Shape, x.Dtype(), mc.input, mc.Model.Dtype)
	}
	if !slices.Equal(x.Shape[1:], mc.input[1:]) || x.Len() != ShapeSize(x.Shape) {
		return nil, fmt.Errorf("input batch of shape %v, the model takes N×%v", x.Shape, mc.input[1:])
	}
	n := x.Shape[0]
	if labels.Len() != n*mc.perLabel || labels.Dtype() != mc.Model.Dtype {
		return nil, fmt.Errorf("%d labels for a batch of %d", labels.Len(), n)
	}
	p, err := mc.Program(n, training)
	if err != nil {
		return nil, err
	}
	p.Input.F32, p.Input.F64 = x.F32, x.F64
	p.Labels.F32, p.Labels.F64 = labels.F32, labels.F64
	return p, nil
}

// TrainStep runs forward and backward in training mode on one batch (x is N×…,
// labels N class indices, or N×classes soft targets for a model finished
// with them), leaves the gradients in the trainable parameters'
// Grad buffers and returns the mean loss and the number of correct predictions
// (arg-max of the training-mode logits). Batch norm's running statistics are
// updated; dropout draws this step's masks.
func (mc *Machine) TrainStep(x, labels *Buffer) (loss float64, correct int, err error) {
	p, err := mc.bind(x, labels, true)
	if err != nil {
		return math.NaN(), 0, err
	}
	if err := mc.Backend.Run(p, mc.iteration); err != nil {
		return math.NaN(), 0, err
	}
	mc.iteration++
	return p.Loss.At(0), mc.correct(p, labels), nil
}

// Evaluate runs the forward pass in evaluation mode and returns the mean loss,
// the number of correct predictions (arg-max of the logits) and the logits,
// which stay valid until the next run of the same batch size.
func (mc *Machine) Evaluate(x, labels *Buffer) (loss float64, correct int, logits *Buffer, err error) {
	p, err := mc.bind(x, labels, false)
	if err != nil {
		return math.NaN(), 0, nil, err
	}
	if err := mc.Backend.Run(p, mc.iteration); err != nil {
		return math.NaN(), 0, nil, err
	}
	return p.Loss.At(0), mc.correct(p, labels), p.Logits, nil
}

// correct counts right predictions of a classifier (0 for a regression).
func (mc *Machine) correct(p *Program, labels *Buffer) int {
	switch {
	case mc.Model.Regression:
		return 0
	case p.countedCorrect:
		return p.correct
	}
	return countCorrect(p.Logits, labels, mc.Model.Labels.Dims() == 2)
}
