package graph

import (
	"fmt"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// The parameter region: the model's parameters and gradients in one arena
// shared by all programs, the trainable ones in the flat layout of the fused
// optimizer kernels, and their transfers to and from the host.

// paramRegion is the device layout of the trainable parameters, the one the
// fused optimizer kernels of kernels/launch (SGD, Adam, ...) update in a single
// launch: Values and Grads each hold Total floats, Params[k] at element
// Offsets[k] (launch.FlatLayout), with zeros between tensors. An optimizer's
// state slots (backend_update.go) have the same layout.
type paramRegion struct {
	Params        []*Param
	Offsets       []int
	Total         int
	Values, Grads cuda.Ptr
}

// allocParams lays out the parameters in one arena, once: the trainable ones
// as the paramRegion, then each state tensor.
func (b *deviceBackend) allocParams() error {
	if b.params != nil {
		return nil
	}
	var sizes []int
	r := &b.region
	for _, p := range b.model.Params {
		if p.Trainable() {
			r.Params = append(r.Params, p)
			sizes = append(sizes, p.Value.Len())
		} else {
			b.state = append(b.state, p)
		}
	}
	r.Offsets, r.Total = launch.FlatLayout(sizes)
	b.flat = make([]float32, r.Total)
	var plan cuda.Plan
	values, grads := plan.Reserve(int64(4*r.Total)), plan.Reserve(int64(4*r.Total))
	stateAt := make([]int64, len(b.state))
	for i, p := range b.state {
		stateAt[i] = plan.Reserve(int64(4 * p.Value.Len()))
	}
	base, err := b.rt.Alloc(plan.Size())
	if err != nil {
		return err
	}
	b.paramBase, r.Values, r.Grads = base, base.Add(values), base.Add(grads)
	b.params = map[*Buffer]cuda.Ptr{}
	for k, p := range r.Params {
		b.params[p.Value] = r.Values.F32(r.Offsets[k])
		b.params[p.Grad] = r.Grads.F32(r.Offsets[k])
	}
	for i, p := range b.state {
		b.params[p.Value] = base.Add(stateAt[i])
	}
	// Gradients start as the host's: a parameter the loss does not reach keeps
	// its gradient, as on the CPU.
	return b.rt.Upload(r.Grads, b.gather(func(p *Param) *Buffer { return p.Grad }))
}

// gather copies a buffer of each trainable parameter into the flat host
// region (zeros between tensors) and returns it.
func (b *deviceBackend) gather(of func(*Param) *Buffer) []float32 {
	clear(b.flat)
	for k, p := range b.region.Params {
		copy(b.flat[b.region.Offsets[k]:], of(p).F32)
	}
	return b.flat
}

// scatter downloads a flat region into a buffer of each trainable parameter.
func (b *deviceBackend) scatter(src cuda.Ptr, of func(*Param) *Buffer) error {
	if err := b.rt.Download(b.flat, src); err != nil {
		return err
	}
	for k, p := range b.region.Params {
		buf := of(p)
		copy(buf.F32, b.flat[b.region.Offsets[k]:][:len(buf.F32)])
	}
	return nil
}

func value(p *Param) *Buffer { return p.Value }

func gradient(p *Param) *Buffer { return p.Grad }

// PushParams uploads every parameter value (trainable and state) and
// gradient to the device.
func (b *deviceBackend) PushParams() error {
	if err := b.pushValues(); err != nil {
		return err
	}
	if err := b.rt.Upload(b.region.Grads, b.gather(gradient)); err != nil {
		return fmt.Errorf("uploading the gradients: %w", err)
	}
	return nil
}

// pushValues uploads every parameter value (trainable and state).
func (b *deviceBackend) pushValues() error {
	if err := b.allocParams(); err != nil {
		return err
	}
	if err := b.rt.Upload(b.region.Values, b.gather(value)); err != nil {
		return fmt.Errorf("uploading the parameters: %w", err)
	}
	for _, p := range b.state {
		if err := b.rt.Upload(b.params[p.Value], p.Value.F32); err != nil {
			return fmt.Errorf("uploading %s: %w", p.Name, err)
		}
	}
	return nil
}

// PullParams downloads every parameter value and gradient from the device.
func (b *deviceBackend) PullParams() error {
	if err := b.allocParams(); err != nil {
		return err
	}
	if err := b.scatter(b.region.Values, value); err != nil {
		return fmt.Errorf("downloading the parameters: %w", err)
	}
	return b.pullTraining()
}

// pullTraining downloads what a training run changes: the gradients and the
// state (batch norm's running statistics).
func (b *deviceBackend) pullTraining() error {
	if err := b.scatter(b.region.Grads, gradient); err != nil {
		return fmt.Errorf("downloading the gradients: %w", err)
	}
	for _, p := range b.state {
		if err := b.rt.Download(p.Value.F32, b.params[p.Value]); err != nil {
			return fmt.Errorf("downloading %s: %w", p.Name, err)
		}
	}
	return nil
}
