package solvers

import (
	"errors"
	"fmt"
	"slices"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
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
	params  []*graph.Param  // the model's parameters, trainable and state
	average []*graph.Buffer // parallel to params; nil for state
	device  *emaDevice
}

// emaDevice is the average on a device, laid out as the backend's region.
type emaDevice struct {
	region         graph.ParamRegion
	base           cuda.Ptr // rates (2 floats), then the averaged region
	rates, average cuda.Ptr
	update         cuda.Launch
	flat           []float32
}

// NewEMA starts an average of params' trainable values with decay in (0, 1).
func NewEMA(params []*graph.Param, decay float64, warmup bool) (*EMA, error) {
	if !(decay > 0 && decay < 1) {
		return nil, fmt.Errorf("solvers: EMA decay %v is outside (0, 1)", decay)
	}
	e := &EMA{decay: decay, warmup: warmup, params: params, average: make([]*graph.Buffer, len(params))}
	for i, p := range params {
		if p.Trainable() {
			e.average[i] = copyBuffer(p.Value)
		}
	}
	return e, nil
}

func copyBuffer(b *graph.Buffer) *graph.Buffer {
	c := graph.NewBuffer(b.Dtype(), b.Shape...)
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
	if d := e.device; d != nil {
		if err := d.region.Device.Upload(d.rates, launch.EMARates(decay)); err != nil {
			return fmt.Errorf("solvers: uploading the EMA decay: %w", err)
		}
		if err := d.region.Device.Launch(d.update); err != nil {
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

// OnDevice keeps b's parameters resident and moves the average to b's device,
// beside the parameter region, where each Update is one launch. Every
// trainable parameter of the average must be one of b's region.
func (e *EMA) OnDevice(b graph.ResidentBackend) error {
	if e.device != nil {
		return errors.New("solvers: the EMA is already on a device")
	}
	if err := b.SetResident(true); err != nil {
		return err
	}
	region, err := b.ParamRegion()
	if err != nil {
		return err
	}
	if err := e.checkRegion(region); err != nil {
		return err
	}
	var plan cuda.Plan
	ratesAt, averageAt := plan.Reserve(8), plan.Reserve(int64(4*region.Total))
	base, err := region.Device.Alloc(plan.Size())
	if err != nil {
		return fmt.Errorf("solvers: allocating the EMA on the device: %w", err)
	}
	d := &emaDevice{region: region, base: base, rates: base.Add(ratesAt), average: base.Add(averageAt), flat: make([]float32, region.Total)}
	d.update = launch.EMAUpdate(d.rates, d.average, region.Values, region.Total)
	e.device = d
	if err := e.push(); err != nil {
		e.device = nil
		return errors.Join(err, region.Device.Free(base))
	}
	return nil
}

// checkRegion requires every averaged parameter in the region.
func (e *EMA) checkRegion(region graph.ParamRegion) error {
	inRegion := map[*graph.Param]bool{}
	for _, p := range region.Params {
		inRegion[p] = true
	}
	for i, p := range e.params {
		if e.average[i] != nil && !inRegion[p] {
			return fmt.Errorf("solvers: EMA: %s is not a trainable float32 parameter of the backend's region", p.Name)
		}
	}
	return nil
}

// averageOf is the host average of the region's k-th parameter.
func (e *EMA) averageOf(p *graph.Param) *graph.Buffer {
	if i := slices.Index(e.params, p); i >= 0 {
		return e.average[i]
	}
	return nil
}

// push uploads the host average into the device region; the region's
// parameters the EMA does not average get their own values there, which
// nothing reads back.
func (e *EMA) push() error {
	d := e.device
	clear(d.flat)
	for k, p := range d.region.Params {
		src := p.Value
		if avg := e.averageOf(p); avg != nil {
			src = avg
		}
		copy(d.flat[d.region.Offsets[k]:], src.F32)
	}
	if err := d.region.Device.Upload(d.average, d.flat); err != nil {
		return fmt.Errorf("solvers: uploading the EMA: %w", err)
	}
	return nil
}

// Pull downloads the device's average into the host buffers (before Swap,
// Weights or State); the device keeps it.
func (e *EMA) Pull() error {
	d := e.device
	if d == nil {
		return nil
	}
	if err := d.region.Device.Download(d.flat, d.average); err != nil {
		return fmt.Errorf("solvers: downloading the EMA: %w", err)
	}
	for k, p := range d.region.Params {
		if avg := e.averageOf(p); avg != nil {
			copy(avg.F32, d.flat[d.region.Offsets[k]:][:len(avg.F32)])
		}
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
	return d.region.Device.Free(d.base)
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
func (e *EMA) Weights() []*graph.Param {
	out := make([]*graph.Param, len(e.params))
	for i, p := range e.params {
		v := p.Value
		if e.average[i] != nil {
			v = e.average[i]
		}
		out[i] = &graph.Param{Name: p.Name, Kind: p.Kind, Value: copyBuffer(v)}
	}
	return out
}

// EMAState is an EMA's state, plain data for gob or JSON.
type EMAState struct {
	Decay    float64
	Warmup   bool
	Updates  int64
	Averages map[string]*graph.Buffer // by parameter name, trainable parameters only
}

// State copies the EMA's state (Pull first on a device).
func (e *EMA) State() EMAState {
	st := EMAState{Decay: e.decay, Warmup: e.warmup, Updates: e.updates, Averages: map[string]*graph.Buffer{}}
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
