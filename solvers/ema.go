package solvers

import (
	"errors"
	"fmt"
	"slices"

	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// EMA is an exponential moving average of a model's trainable parameters,
// updated after each optimizer step: average = d·average + (1−d)·θ, starting
// from the parameters' values when it is built. With warm-up the decay of the
// update that follows t earlier ones is min(decay, (1+t)/(10+t)), the option
// timm's ModelEma offers, so that early averages are not dominated by the
// random initialization. State tensors (batch norm's running statistics) are
// not averaged: the EMA model uses the model's own, as timm copies them.
//
// On a device (OnDevice) one fused launch updates the whole parameter region.
type EMA struct {
	decay   float64
	warmup  bool
	updates int64
	params  []*param.Param      // the model's parameters, trainable and state
	average []*param.Buffer     // parallel to params; nil for state
	device  param.DeviceAverage // the average on a device, after OnDevice
}

// NewEMA starts an average of params' trainable values with decay in (0, 1).
func NewEMA(params []*param.Param, decay float64, warmup bool) (*EMA, error) {
	if !(decay > 0 && decay < 1) {
		return nil, fmt.Errorf("solvers: EMA decay %v is outside (0, 1)", decay)
	}
	e := &EMA{decay: decay, warmup: warmup, params: params, average: make([]*param.Buffer, len(params))}
	for i, p := range params {
		if p.Trainable() {
			e.average[i] = copyBuffer(p.Value)
		}
	}
	return e, nil
}

func copyBuffer(b *param.Buffer) *param.Buffer {
	c := param.NewBuffer(b.Dtype(), b.Shape...)
	c.CopyFrom(b)
	return c
}

// DecayAt is the decay of the update that follows t earlier updates.
func (e *EMA) DecayAt(t int64) float64 {
	if !e.warmup {
		return e.decay
	}
	return min(e.decay, float64(1+t)/float64(10+t))
}

// Updates is the number of updates made.
func (e *EMA) Updates() int64 { return e.updates }

// Update moves the average towards the parameters' current values: on the
// host, or on the device after OnDevice (queued after the optimizer's step).
func (e *EMA) Update() error {
	decay := e.DecayAt(e.updates)
	if e.device != nil {
		if err := e.device.Update(decay); err != nil {
			return fmt.Errorf("solvers: EMA update: %w", err)
		}
	} else {
		for i, p := range e.params {
			if avg := e.average[i]; avg != nil {
				if avg.F32 != nil {
					kernels.EMAUpdate(decay, avg.F32, p.Value.F32)
				} else {
					kernels.EMAUpdate(decay, avg.F64, p.Value.F64)
				}
			}
		}
	}
	e.updates++
	return nil
}

// OnDevice keeps b's parameters resident and moves the average to b's device
// (b is a graph.ResidentBackend: the CUDA backend), beside the parameters,
// where each Update is one launch. Every trainable parameter of the average
// must be one of b's trainable float32 parameters.
func (e *EMA) OnDevice(b param.Averager) error {
	if e.device != nil {
		return errors.New("solvers: the EMA is already on a device")
	}
	var averaged []*param.Param
	for i, p := range e.params {
		if e.average[i] != nil {
			averaged = append(averaged, p)
		}
	}
	d, err := b.AttachAverage(averaged)
	if err != nil {
		return fmt.Errorf("solvers: EMA: %w", err)
	}
	e.device = d
	if err := e.push(); err != nil {
		e.device = nil
		return errors.Join(err, d.Free())
	}
	return nil
}

// averageOf is the host average of p, a parameter of the EMA.
func (e *EMA) averageOf(p *param.Param) []float32 {
	return e.average[slices.Index(e.params, p)].F32
}

// push uploads the host average to the device.
func (e *EMA) push() error {
	if err := e.device.Push(e.averageOf); err != nil {
		return fmt.Errorf("solvers: %w", err)
	}
	return nil
}

// Pull downloads the device's average into the host buffers (before Swap,
// Weights or State); the device keeps it.
func (e *EMA) Pull() error {
	if e.device == nil {
		return nil
	}
	if err := e.device.Pull(e.averageOf); err != nil {
		return fmt.Errorf("solvers: %w", err)
	}
	return nil
}

// OnHost brings the average back from the device and frees it there.
func (e *EMA) OnHost() error {
	d := e.device
	if d == nil {
		return nil
	}
	if err := e.Pull(); err != nil {
		return err
	}
	e.device = nil
	return d.Free()
}

// Swap exchanges the host values of the trainable parameters with their
// averages, in place (compiled programs keep their buffers), so that the model
// evaluates or exports the EMA weights; a second Swap restores it. State
// tensors stay the model's. On a device, Pull before, and move the parameters
// with the backend's PullParams and PushParams.
func (e *EMA) Swap() {
	for i, p := range e.params {
		if avg := e.average[i]; avg != nil {
			swapValues(p.Value.F32, avg.F32)
			swapValues(p.Value.F64, avg.F64)
		}
	}
}

func swapValues[T kernels.Float](a, b []T) {
	for j := range a {
		a[j], b[j] = b[j], a[j]
	}
}

// Weights returns a copy of the EMA model's tensors under the model's names:
// the averages of the trainable parameters and the model's state tensors.
func (e *EMA) Weights() []*param.Param {
	out := make([]*param.Param, len(e.params))
	for i, p := range e.params {
		v := p.Value
		if e.average[i] != nil {
			v = e.average[i]
		}
		out[i] = &param.Param{Name: p.Name, Kind: p.Kind, Value: copyBuffer(v)}
	}
	return out
}

// EMAState is an EMA's state, plain data for gob or JSON.
type EMAState struct {
	Decay    float64
	Warmup   bool
	Updates  int64
	Averages map[string]*param.Buffer // by parameter name, trainable parameters only
}

// State copies the EMA's state (Pull first on a device).
func (e *EMA) State() EMAState {
	st := EMAState{Decay: e.decay, Warmup: e.warmup, Updates: e.updates, Averages: map[string]*param.Buffer{}}
	for i, p := range e.params {
		if e.average[i] != nil {
			st.Averages[p.Name] = copyBuffer(e.average[i])
		}
	}
	return st
}

// SetState restores a state saved from an EMA of the same parameters and
// options; on a device it uploads the averages too. A mismatch changes nothing.
func (e *EMA) SetState(st EMAState) error {
	if st.Decay != e.decay || st.Warmup != e.warmup {
		return fmt.Errorf("solvers: EMA state with decay %v and warm-up %t, this EMA has %v and %t", st.Decay, st.Warmup, e.decay, e.warmup)
	}
	if st.Updates < 0 {
		return fmt.Errorf("solvers: EMA state has %d updates", st.Updates)
	}
	count := 0
	for i, p := range e.params {
		if e.average[i] == nil {
			continue
		}
		count++
		b := st.Averages[p.Name]
		if b == nil || (b.F32 == nil) == (b.F64 == nil) || b.Dtype() != p.Value.Dtype() || !slices.Equal(b.Shape, p.Value.Shape) || b.Len() != p.Value.Len() {
			return fmt.Errorf("solvers: EMA state has no %v average of shape %v for %s", p.Value.Dtype(), p.Value.Shape, p.Name)
		}
	}
	if count != len(st.Averages) {
		return fmt.Errorf("solvers: EMA state averages %d tensors, this EMA %d", len(st.Averages), count)
	}
	for i, p := range e.params {
		if e.average[i] != nil {
			e.average[i].CopyFrom(st.Averages[p.Name])
		}
	}
	e.updates = st.Updates
	if e.device != nil {
		return e.push()
	}
	return nil
}
