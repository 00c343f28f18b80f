package solvers

import (
	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// RMSProp is torch.optim.RMSprop:
//
//	d = g + weight_decay·θ
//	E[g²] = alpha·E[g²] + (1−alpha)·d²
//	centered: E[g] = alpha·E[g] + (1−alpha)·d, avg = √(E[g²] − E[g]²) + eps
//	else:     avg = √E[g²] + eps
//	momentum: b = momentum·b + d/avg, θ −= lr·b
//	else:     θ −= lr·d/avg
//
// Hinton's lecture form is θ −= η·g/√(E[g²] + ε), with ε inside the root and
// the decay called ρ (PyTorch's alpha). The centered variant (Graves 2013)
// divides by an estimate of the gradient's standard deviation instead of its
// root mean square. PyTorch's momentum buffer holds the normalised gradient
// and lr multiplies it afterwards, as in SGD, so changing lr rescales the
// whole buffer at once.
type RMSProp struct {
	LR          float64 // lr
	Alpha       float64 // alpha, in [0, 1]
	Eps         float64 // eps, > 0
	WeightDecay float64 // weight_decay
	Momentum    float64 // momentum, in [0, 1)
	Centered    bool    // centered
}

// DefaultRMSProp returns torch.optim.RMSprop's defaults.
func DefaultRMSProp() RMSProp { return RMSProp{LR: 1e-2, Alpha: 0.99, Eps: 1e-8} }

// Name is "rmsprop".
func (RMSProp) Name() string { return "rmsprop" }

func (h RMSProp) validate() error {
	c := checker{what: h.Name()}
	c.atLeast("lr", h.LR, 0)
	c.in("alpha", h.Alpha, 0, 1, false)
	c.above("eps", h.Eps, 0)
	c.atLeast("weight_decay", h.WeightDecay, 0)
	c.in("momentum", h.Momentum, 0, 1, true)
	return c.err
}

func (h RMSProp) defaults() (float64, float64) { return h.LR, h.WeightDecay }

func (h RMSProp) slots() []slot {
	s := []slot{{name: "square_avg"}}
	if h.Centered {
		s = append(s, slot{name: "grad_avg"})
	}
	if h.Momentum > 0 {
		s = append(s, slot{name: "momentum_buffer"})
	}
	return s
}

func (h RMSProp) update32(t *tensors[float32], _ int64, lr, wd float64) { rmspropUpdate(h, t, lr, wd) }
func (h RMSProp) update64(t *tensors[float64], _ int64, lr, wd float64) { rmspropUpdate(h, t, lr, wd) }

func (h RMSProp) hyper(dst []float32, _ int64, lr, wd float64) []float32 {
	return kernels.RMSPropHyper(dst, lr, h.Alpha, h.Eps, wd, h.Momentum, h.Centered)
}

func (h RMSProp) fused() param.FusedKernel {
	gradAvg, buf := rmspropOptional(h, []int{0, 1, 2}) // slot indices
	return param.FusedKernel{Name: "RMSProp", SlotArgs: []int{0, slotIf(h.Centered, gradAvg), slotIf(h.Momentum > 0, buf)}}
}

// rmspropOptional picks the average gradient (centered) and the momentum
// buffer among the slots (host buffers, or slot indices); the zero value for
// each one the options leave out.
func rmspropOptional[S any](h RMSProp, slots []S) (gradAvg, buf S) {
	next := 1
	if h.Centered {
		gradAvg = slots[next]
		next++
	}
	if h.Momentum > 0 {
		buf = slots[next]
	}
	return gradAvg, buf
}

func rmspropUpdate[T kernels.Float](h RMSProp, t *tensors[T], lr, wd float64) {
	gradAvg, buf := rmspropOptional(h, t.slots)
	kernels.RMSProp(t.w, t.g, t.slots[0], gradAvg, buf, lr, h.Alpha, h.Eps, wd, h.Momentum)
}

func readRMSProp(r *optionReader) Algorithm {
	h := DefaultRMSProp()
	h.LR = r.float("lr", h.LR)
	h.Alpha = r.float("alpha", h.Alpha)
	h.Eps = r.float("eps", h.Eps)
	h.WeightDecay = r.float("weight_decay", h.WeightDecay)
	h.Momentum = r.float("momentum", h.Momentum)
	h.Centered = r.bool("centered", h.Centered)
	return h
}
