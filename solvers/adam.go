package solvers

import (
	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// Adam is torch.optim.Adam (Kingma & Ba 2015), per step t:
//
//	d = g + weight_decay·θ
//	m = β1·m + (1−β1)·d
//	v = β2·v + (1−β2)·d²
//	amsgrad: v_max = max(v_max, v), used for v below
//	θ −= lr/(1−β1^t) · m/(√v/√(1−β2^t) + eps)
//
// This is the paper's Algorithm 1, θ −= α·m̂/(√v̂ + ε) with m̂ = m/(1−β1^t) and
// v̂ = v/(1−β2^t), rearranged; the paper's faster variant, which folds both
// corrections into the step size, puts ε on the uncorrected √v and so differs
// early in training. AMSGrad (Reddi et al. 2018) keeps the running maximum of
// v; PyTorch takes the maximum of the uncorrected v and bias-corrects it with
// the current step, where the paper has no bias correction. weight_decay is
// an L2 term folded into the gradient, so the adaptive denominator scales it
// too (see AdamW for the decoupled form).
type Adam struct {
	LR          float64    // lr
	Betas       [2]float64 // betas, each in [0, 1)
	Eps         float64    // eps, > 0
	WeightDecay float64    // weight_decay
	AMSGrad     bool       // amsgrad
}

// DefaultAdam returns torch.optim.Adam's defaults.
func DefaultAdam() Adam { return Adam{LR: 1e-3, Betas: [2]float64{0.9, 0.999}, Eps: 1e-8} }

// Name is "adam".
func (Adam) Name() string { return "adam" }

func (h Adam) validate() error { return validateAdam(h.Name(), h) }

func (h Adam) defaults() (float64, float64) { return h.LR, h.WeightDecay }

func (h Adam) slots() []slot { return adamSlots(h.AMSGrad) }

func (h Adam) update32(t *tensors[float32], step int64, lr, wd float64) {
	kernels.Adam(t.w, t.g, t.slots[0], t.slots[1], amsgradSlot(t.slots, h.AMSGrad), lr, h.Betas[0], h.Betas[1], h.Eps, wd, step)
}

func (h Adam) update64(t *tensors[float64], step int64, lr, wd float64) {
	kernels.Adam(t.w, t.g, t.slots[0], t.slots[1], amsgradSlot(t.slots, h.AMSGrad), lr, h.Betas[0], h.Betas[1], h.Eps, wd, step)
}

// AdamW is torch.optim.AdamW (Loshchilov & Hutter 2019): Adam without the L2
// term in the gradient, the weights shrunk directly instead, before the step:
//
//	θ *= 1 − lr·weight_decay
//	then Adam's update with weight_decay 0
//
// The paper writes θ −= η_t·(α·m̂/(√v̂+ε) + λ·θ) with a schedule multiplier η_t
// apart from the rate α; PyTorch's decay is lr·weight_decay, so it follows lr
// and its schedule, and equals the paper's λ when weight_decay = λ/α.
// PyTorch's default weight_decay is 0.01.
type AdamW Adam

// DefaultAdamW returns torch.optim.AdamW's defaults.
func DefaultAdamW() AdamW {
	h := AdamW(DefaultAdam())
	h.WeightDecay = 1e-2
	return h
}

// Name is "adamw".
func (AdamW) Name() string { return "adamw" }

func (h AdamW) validate() error { return validateAdam(h.Name(), Adam(h)) }

func (h AdamW) defaults() (float64, float64) { return h.LR, h.WeightDecay }

func (h AdamW) slots() []slot { return adamSlots(h.AMSGrad) }

func (h AdamW) update32(t *tensors[float32], step int64, lr, wd float64) {
	kernels.AdamW(t.w, t.g, t.slots[0], t.slots[1], amsgradSlot(t.slots, h.AMSGrad), lr, h.Betas[0], h.Betas[1], h.Eps, wd, step)
}

func (h AdamW) update64(t *tensors[float64], step int64, lr, wd float64) {
	kernels.AdamW(t.w, t.g, t.slots[0], t.slots[1], amsgradSlot(t.slots, h.AMSGrad), lr, h.Betas[0], h.Betas[1], h.Eps, wd, step)
}

func (h Adam) hyper(dst []float32, step int64, lr, wd float64) []float32 {
	return kernels.AdamHyper(dst, lr, h.Betas[0], h.Betas[1], h.Eps, wd, step, false, h.AMSGrad)
}

func (h AdamW) hyper(dst []float32, step int64, lr, wd float64) []float32 {
	return kernels.AdamHyper(dst, lr, h.Betas[0], h.Betas[1], h.Eps, wd, step, true, h.AMSGrad)
}

func (h Adam) fused() param.FusedKernel  { return adamFused(h.AMSGrad) }
func (h AdamW) fused() param.FusedKernel { return adamFused(h.AMSGrad) }

// adamFused is Adam's and AdamW's kernel; the row tells them apart.
func adamFused(amsgrad bool) param.FusedKernel {
	return param.FusedKernel{Name: "Adam", SlotArgs: []int{0, 1, slotIf(amsgrad, 2)}}
}

func validateAdam(name string, h Adam) error {
	c := checker{what: name}
	c.atLeast("lr", h.LR, 0)
	c.in("betas[0]", h.Betas[0], 0, 1, true)
	c.in("betas[1]", h.Betas[1], 0, 1, true)
	c.above("eps", h.Eps, 0)
	c.atLeast("weight_decay", h.WeightDecay, 0)
	return c.err
}

func adamSlots(amsgrad bool) []slot {
	s := []slot{{name: "exp_avg"}, {name: "exp_avg_sq"}}
	if amsgrad {
		s = append(s, slot{name: "max_exp_avg_sq"})
	}
	return s
}

// amsgradSlot is AMSGrad's maximum among the slots (host buffers, or slot
// indices); the zero value without AMSGrad.
func amsgradSlot[S any](slots []S, amsgrad bool) (vmax S) {
	if amsgrad {
		vmax = slots[2]
	}
	return vmax
}

// readAdam reads Adam's options over def, the defaults of Adam or AdamW.
func readAdam(r *optionReader, def Adam) Adam {
	h := def
	h.LR = r.float("lr", h.LR)
	if betas := r.floats("betas", h.Betas[:]); len(betas) == 2 {
		h.Betas = [2]float64{betas[0], betas[1]}
	} else {
		r.fail("option betas: want two numbers, got %v", betas)
	}
	h.Eps = r.float("eps", h.Eps)
	h.WeightDecay = r.float("weight_decay", h.WeightDecay)
	h.AMSGrad = r.bool("amsgrad", h.AMSGrad)
	return h
}
