package trainer

import "github.com/descent-ml/descent/graph"

// accumulated holds the gradients of the batches since the last optimizer
// step (Recipe.Accumulate), each weighted by its number of samples.
type accumulated struct {
	sums    []*graph.Buffer // parallel to the model's Params; nil where no gradient
	samples int             // samples of the batches summed
	batches int
	lossSum float64 // Σ loss·samples, for a per-step schedule
	last    StepInfo
}

func (a *accumulated) reset() { a.samples, a.batches, a.lossSum = 0, 0, 0 }

// accumulate adds the gradient of the step just run and updates once
// Recipe.Accumulate batches are summed.
func (t *Trainer) accumulate(s StepInfo) error {
	if err := t.Sync(); err != nil {
		return err
	}
	a := &t.acc
	if a.sums == nil {
		a.sums = make([]*graph.Buffer, len(t.model.Params))
		for i, p := range t.model.Params {
			if p.Grad != nil {
				a.sums[i] = graph.NewBuffer(p.Grad.Dtype(), p.Grad.Shape...)
			}
		}
	}
	w := float64(s.N)
	for i, p := range t.model.Params {
		sum := a.sums[i]
		if sum == nil {
			continue
		}
		if a.batches == 0 {
			clear(sum.F32)
			clear(sum.F64)
		}
		for j, g := range p.Grad.F32 {
			sum.F32[j] += float32(w) * g
		}
		for j, g := range p.Grad.F64 {
			sum.F64[j] += w * g
		}
	}
	a.samples += s.N
	a.batches++
	a.lossSum += s.Loss * w
	a.last = s
	if a.batches < t.recipe.Accumulate {
		return nil
	}
	return t.flushAccumulated()
}

// flushAccumulated updates with the mean gradient of the batches summed, if
// any: Σ nᵢ·gᵢ / Σ nᵢ, the gradient of the mean loss over all their samples.
func (t *Trainer) flushAccumulated() error {
	a := &t.acc
	if a.batches == 0 {
		return nil
	}
	n := float64(a.samples)
	for i, p := range t.model.Params {
		sum := a.sums[i]
		if sum == nil {
			continue
		}
		for j, v := range sum.F32 {
			p.Grad.F32[j] = v / float32(n)
		}
		for j, v := range sum.F64 {
			p.Grad.F64[j] = v / n
		}
	}
	if t.resident != nil {
		if err := t.resident.PushParams(); err != nil {
			return err
		}
	}
	loss, last := a.lossSum/n, a.last
	a.reset()
	return t.update(last, loss)
}
