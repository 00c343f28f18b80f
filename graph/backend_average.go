package graph

import (
	"fmt"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// deviceAverage is a moving average of the parameter region (solvers.EMA on
// a device): a region of the same layout, and the decay's row.
type deviceAverage struct {
	b              *deviceBackend
	params         map[*Param]bool // the averaged parameters
	base           cuda.Ptr        // rates (2 floats), then the averaged region
	rates, average cuda.Ptr
	update         cuda.Launch
}

// AttachAverage implements ResidentBackend.
func (b *deviceBackend) AttachAverage(params []*Param) (DeviceAverage, error) {
	if err := b.SetResident(true); err != nil {
		return nil, err
	}
	inRegion := map[*Param]bool{}
	for _, p := range b.region.Params {
		inRegion[p] = true
	}
	a := &deviceAverage{b: b, params: map[*Param]bool{}}
	for _, p := range params {
		if !inRegion[p] {
			return nil, fmt.Errorf("%s is not a trainable float32 parameter of the %s backend's model", p.Name, b.Name())
		}
		a.params[p] = true
	}
	var plan cuda.Plan
	ratesAt, averageAt := plan.Reserve(8), plan.Reserve(int64(4*b.region.Total))
	base, err := b.rt.Alloc(plan.Size())
	if err != nil {
		return nil, fmt.Errorf("allocating the average on the device: %w", err)
	}
	a.base, a.rates, a.average = base, base.Add(ratesAt), base.Add(averageAt)
	a.update = launch.EMAUpdate(a.rates, a.average, b.region.Values, b.region.Total)
	return a, nil
}

// Update implements DeviceAverage.
func (a *deviceAverage) Update(decay float64) error {
	if err := a.b.rt.Upload(a.rates, launch.EMARates(decay)); err != nil {
		return fmt.Errorf("uploading the average's decay: %w", err)
	}
	if err := a.b.rt.Launch(a.update); err != nil {
		return fmt.Errorf("%s on the device: %w", a.update.Kernel, err)
	}
	return nil
}

// Push implements DeviceAverage. The region's parameters that are not
// averaged get their own values there, which nothing reads back.
func (a *deviceAverage) Push(of func(*Param) []float32) error {
	r, flat := &a.b.region, a.b.flat
	clear(flat)
	for k, p := range r.Params {
		src := p.Value.F32
		if a.params[p] {
			src = of(p)
		}
		copy(flat[r.Offsets[k]:], src)
	}
	if err := a.b.rt.Upload(a.average, flat); err != nil {
		return fmt.Errorf("uploading the average: %w", err)
	}
	return nil
}

// Pull implements DeviceAverage.
func (a *deviceAverage) Pull(of func(*Param) []float32) error {
	r, flat := &a.b.region, a.b.flat
	if err := a.b.rt.Download(flat, a.average); err != nil {
		return fmt.Errorf("downloading the average: %w", err)
	}
	for k, p := range r.Params {
		if a.params[p] {
			dst := of(p)
			copy(dst, flat[r.Offsets[k]:][:len(dst)])
		}
	}
	return nil
}

// Free implements DeviceAverage.
func (a *deviceAverage) Free() error { return a.b.rt.Free(a.base) }
