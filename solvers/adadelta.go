package solvers

import (
	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// Adadelta is torch.optim.Adadelta (Zeiler 2012):
//
//	d = g + weight_decay·θ
//	E[g²] = rho·E[g²] + (1−rho)·d²
//	Δ = √(E[Δ²] + eps)/√(E[g²] + eps) · d
//	E[Δ²] = rho·E[Δ²] + (1−rho)·Δ²
//	θ −= lr·Δ
//
// This is the paper's rule (eps inside both roots) with a learning rate in
// front; the paper has none, which is PyTorch's default lr = 1.
type Adadelta struct {
	LR          float64 // lr
	Rho         float64 // rho, in [0, 1]
	Eps         float64 // eps, > 0
	WeightDecay float64 // weight_decay
}

// DefaultAdadelta returns torch.optim.Adadelta's defaults.
func DefaultAdadelta() Adadelta { return Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6} }

// Name is "adadelta".
func (Adadelta) Name() string { return "adadelta" }

func (h Adadelta) validate() error {
	c := checker{what: h.Name()}
	c.atLeast("lr", h.LR, 0)
	c.in("rho", h.Rho, 0, 1, false)
	c.above("eps", h.Eps, 0)
	c.atLeast("weight_decay", h.WeightDecay, 0)
	return c.err
}

func (h Adadelta) defaults() (float64, float64) { return h.LR, h.WeightDecay }

func (h Adadelta) slots() []slot { return []slot{{name: "square_avg"}, {name: "acc_delta"}} }

func (h Adadelta) update32(t *tensors[float32], _ int64, lr, wd float64) {
	kernels.Adadelta(t.w, t.g, t.slots[0], t.slots[1], lr, h.Rho, h.Eps, wd)
}

func (h Adadelta) update64(t *tensors[float64], _ int64, lr, wd float64) {
	kernels.Adadelta(t.w, t.g, t.slots[0], t.slots[1], lr, h.Rho, h.Eps, wd)
}

func (h Adadelta) hyper(dst []float32, _ int64, lr, wd float64) []float32 {
	return kernels.AdadeltaHyper(dst, lr, h.Rho, h.Eps, wd)
}

func (h Adadelta) fused() param.FusedKernel {
	return param.FusedKernel{Name: "Adadelta", SlotArgs: []int{0, 1}}
}

func readAdadelta(r *optionReader) Algorithm {
	h := DefaultAdadelta()
	h.LR = r.float("lr", h.LR)
	h.Rho = r.float("rho", h.Rho)
	h.Eps = r.float("eps", h.Eps)
	h.WeightDecay = r.float("weight_decay", h.WeightDecay)
	return h
}
