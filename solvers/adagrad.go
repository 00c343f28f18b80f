package solvers

import (
	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// Adagrad is torch.optim.Adagrad (Duchi, Hazan & Singer 2011), per step t:
//
//	d = g + weight_decay·θ
//	G += d²                      (G starts at initial_accumulator_value)
//	θ −= lr/(1+(t−1)·lr_decay) · d/(√G + eps)
//
// The paper writes η·g/√(G+ε) (ε inside the root) and has no learning-rate
// decay; PyTorch adds eps outside the root and decays the rate by lr_decay.
type Adagrad struct {
	LR                      float64 // lr
	LRDecay                 float64 // lr_decay, ≥ 0
	WeightDecay             float64 // weight_decay
	InitialAccumulatorValue float64 // initial_accumulator_value, ≥ 0
	Eps                     float64 // eps, > 0
}

// DefaultAdagrad returns torch.optim.Adagrad's defaults.
func DefaultAdagrad() Adagrad { return Adagrad{LR: 1e-2, Eps: 1e-10} }

// Name is "adagrad".
func (Adagrad) Name() string { return "adagrad" }

func (h Adagrad) validate() error {
	c := checker{what: h.Name()}
	c.atLeast("lr", h.LR, 0)
	c.atLeast("lr_decay", h.LRDecay, 0)
	c.atLeast("weight_decay", h.WeightDecay, 0)
	c.atLeast("initial_accumulator_value", h.InitialAccumulatorValue, 0)
	c.above("eps", h.Eps, 0)
	return c.err
}

func (h Adagrad) defaults() (float64, float64) { return h.LR, h.WeightDecay }

func (h Adagrad) slots() []slot {
	return []slot{{name: "sum", init: h.InitialAccumulatorValue}}
}

func (h Adagrad) update32(t *tensors[float32], step int64, lr, wd float64) {
	adagradUpdate(h, t, step, lr, wd)
}

func (h Adagrad) update64(t *tensors[float64], step int64, lr, wd float64) {
	adagradUpdate(h, t, step, lr, wd)
}

func adagradUpdate[T kernels.Float](h Adagrad, t *tensors[T], step int64, lr, wd float64) {
	kernels.Adagrad(t.w, t.g, t.slots[0], h.decayed(step, lr), wd, h.Eps)
}

// decayed is the learning rate at a step, lr/(1 + (step−1)·lr_decay).
func (h Adagrad) decayed(step int64, lr float64) float64 { return lr / (1 + float64(step-1)*h.LRDecay) }

func (h Adagrad) hyper(dst []float32, step int64, lr, wd float64) []float32 {
	return kernels.AdagradHyper(dst, h.decayed(step, lr), wd, h.Eps)
}

func (h Adagrad) fused() param.FusedKernel {
	return param.FusedKernel{Name: "Adagrad", SlotArgs: []int{0}}
}

func readAdagrad(r *optionReader) Algorithm {
	h := DefaultAdagrad()
	h.LR = r.float("lr", h.LR)
	h.LRDecay = r.float("lr_decay", h.LRDecay)
	h.WeightDecay = r.float("weight_decay", h.WeightDecay)
	h.InitialAccumulatorValue = r.float("initial_accumulator_value", h.InitialAccumulatorValue)
	h.Eps = r.float("eps", h.Eps)
	return h
}
