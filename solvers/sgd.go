package solvers

import (
	"fmt"

	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// SGD is torch.optim.SGD: stochastic gradient descent with optional momentum,
// dampening, Nesterov momentum and (coupled) weight decay. Which gradient it
// follows is the caller's choice of batch: the whole training set is
// full-batch gradient descent, one sample per step is per-sample SGD, a
// mini-batch is mini-batch SGD.
//
// PyTorch's momentum differs from the textbook (Polyak, Sutskever et al.) form
// v = γ·v + η·g, θ −= v. PyTorch keeps the learning rate out of the buffer:
//
//	d = g + weight_decay·θ
//	v = momentum·v + (1−dampening)·d   (v = d on the first step, undampened)
//	θ −= lr·v                          (Nesterov: θ −= lr·(d + momentum·v))
//
// With a constant learning rate and no dampening the two agree (PyTorch's v is
// the textbook v divided by η). When a schedule changes lr, PyTorch rescales
// the whole accumulated velocity at once, while the textbook form applies the
// new rate to new gradients only. PyTorch's Nesterov step is Sutskever's
// look-ahead rewritten in terms of the current parameters, so it needs no
// gradient at a shifted point.
type SGD struct {
	LR          float64 // lr; required by torch.optim.SGD, so New has no default for it
	Momentum    float64 // momentum, in [0, 1)
	Dampening   float64 // dampening, in [0, 1]
	Nesterov    bool    // nesterov: needs momentum > 0 and dampening 0
	WeightDecay float64 // weight_decay
}

// Name is "sgd".
func (SGD) Name() string { return "sgd" }

func (h SGD) validate() error {
	c := checker{what: h.Name()}
	c.atLeast("lr", h.LR, 0)
	c.in("momentum", h.Momentum, 0, 1, true)
	c.in("dampening", h.Dampening, 0, 1, false)
	c.atLeast("weight_decay", h.WeightDecay, 0)
	if h.Nesterov && h.Momentum == 0 {
		c.fail("nesterov", h.Nesterov, "needs momentum > 0")
	}
	if h.Nesterov && h.Dampening != 0 {
		c.fail("nesterov", h.Nesterov, fmt.Sprintf("needs dampening 0, got %v", h.Dampening))
	}
	return c.err
}

func (h SGD) defaults() (float64, float64) { return h.LR, h.WeightDecay }

func (h SGD) slots() []slot {
	if h.Momentum == 0 {
		return nil
	}
	return []slot{{name: "momentum_buffer"}}
}

func (h SGD) update32(t *tensors[float32], step int64, lr, wd float64) { sgdUpdate(h, t, step, lr, wd) }
func (h SGD) update64(t *tensors[float64], step int64, lr, wd float64) { sgdUpdate(h, t, step, lr, wd) }

func (h SGD) hyper(dst []float32, step int64, lr, wd float64) []float32 {
	return kernels.SGDHyper(dst, lr, h.Momentum, h.Dampening, wd, h.Nesterov, step == 1)
}

func (h SGD) fused() param.FusedKernel {
	return param.FusedKernel{Name: "SGD", SlotArgs: []int{slotIf(h.Momentum != 0, 0)}}
}

// momentumSlot is the momentum buffer among the slots (host buffers, or slot
// indices); the zero value without momentum.
func momentumSlot[S any](h SGD, slots []S) (buf S) {
	if h.Momentum != 0 {
		buf = slots[0]
	}
	return buf
}

func sgdUpdate[T kernels.Float](h SGD, t *tensors[T], step int64, lr, wd float64) {
	kernels.SGD(t.w, t.g, momentumSlot(h, t.slots), lr, h.Momentum, h.Dampening, wd, h.Nesterov, step == 1)
}

func readSGD(r *optionReader) Algorithm {
	if !r.has("lr") {
		r.fail("option lr is required (torch.optim.SGD has no default learning rate)")
	}
	return SGD{
		LR:          r.float("lr", 0),
		Momentum:    r.float("momentum", 0),
		Dampening:   r.float("dampening", 0),
		Nesterov:    r.bool("nesterov", false),
		WeightDecay: r.float("weight_decay", 0),
	}
}

// slotIf is slot when on, else -1: no state buffer for the fused kernel.
func slotIf(on bool, slot int) int {
	if on {
		return slot
	}
	return -1
}
