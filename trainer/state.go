package trainer

import (
	"errors"
	"fmt"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
)

// State is everything a float32 run needs to continue exactly where it
// stopped. The data order and augmentation follow from the loaders' seed and
// the epoch, dropout masks from the model's seed and the iteration.
type State struct {
	Epoch     int    // epochs completed
	Iteration uint64 // training steps run
	Params    map[string][]float32
	Optimizer solvers.State
	Schedule  *solvers.ScheduleState // nil without a schedule
}

// State returns a copy of the run's state, parameters and optimizer state
// brought from the device first when they live there.
func (t *Trainer) State() (State, error) {
	if err := t.Sync(); err != nil {
		return State{}, err
	}
	params, err := snapshot(t.model)
	if err != nil {
		return State{}, err
	}
	opt, err := t.opt.State()
	if err != nil {
		return State{}, err
	}
	s := State{Epoch: t.epoch, Iteration: t.machine.Iteration(), Params: params, Optimizer: opt}
	if t.schedule != nil {
		st := t.schedule.State()
		s.Schedule = &st
	}
	return s, nil
}

// Restore continues from a State taken from a trainer built the same way.
func (t *Trainer) Restore(s State) error {
	if err := t.RestoreParams(s.Params); err != nil {
		return err
	}
	if err := t.opt.SetState(s.Optimizer); err != nil {
		return fmt.Errorf("optimizer state: %w", err)
	}
	if t.schedule != nil {
		if s.Schedule == nil {
			return errors.New("no schedule state saved")
		}
		if err := t.schedule.SetState(*s.Schedule); err != nil {
			return fmt.Errorf("schedule state: %w", err)
		}
	}
	t.machine.SetIteration(s.Iteration)
	t.epoch = s.Epoch
	return nil
}

// RestoreParams sets every parameter of the model (running statistics
// included) from saved values, checking names and sizes; for evaluating a
// checkpoint without its training state.
func (t *Trainer) RestoreParams(saved map[string][]float32) error {
	if err := t.checkParams(saved); err != nil {
		return err
	}
	for _, p := range t.model.Params {
		copy(p.Value.F32, saved[p.Name])
	}
	if t.resident != nil {
		if err := t.resident.PushParams(); err != nil {
			return fmt.Errorf("restoring the parameters on the device: %w", err)
		}
	}
	t.hostStale = false
	return nil
}

// checkParams checks that saved holds every parameter of the model, by name
// and size, and nothing else.
func (t *Trainer) checkParams(saved map[string][]float32) error {
	m := t.model
	if len(saved) != len(m.Params) {
		return fmt.Errorf("%d tensors saved, the model has %d", len(saved), len(m.Params))
	}
	for _, p := range m.Params {
		v, ok := saved[p.Name]
		if !ok || p.Value.F32 == nil || len(v) != len(p.Value.F32) {
			return fmt.Errorf("no tensor %q of %d float32 values saved", p.Name, p.Value.Len())
		}
	}
	return nil
}

// snapshot copies the model's parameters (weights and running statistics).
func snapshot(m *graph.Model) (map[string][]float32, error) {
	ps := make(map[string][]float32, len(m.Params))
	for _, p := range m.Params {
		if p.Value.F32 == nil {
			return nil, fmt.Errorf("trainer: State holds float32 models; %s is %v", p.Name, p.Value.Dtype())
		}
		ps[p.Name] = append([]float32(nil), p.Value.F32...)
	}
	return ps, nil
}
