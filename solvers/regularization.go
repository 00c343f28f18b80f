package solvers

import (
	"slices"

	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/kernels"
)

// Regularization is a penalty added to the loss, L1·Σ|w| + ½·L2·Σw² over the
// parameters whose kind is in Kinds: L1 alone is the lasso penalty, L2 alone
// ridge, both the elastic net. Its gradient L1·sign(w) + L2·w (sign(0) = 0) is
// added to the parameter's gradient at the start of every Step, before clipping,
// as backpropagating through the penalised loss would.
//
// It is not the optimizers' weight_decay: that is folded into the update (and,
// for Adam, scaled by the adaptive step like the gradient; AdamW's is decoupled
// from it), and by PyTorch's convention it applies to every parameter of a group.
type Regularization struct {
	L1, L2 float64
	// Kinds are the penalised parameter kinds; nil means param.Weight only, so
	// that biases and batch-norm parameters are not shrunk.
	Kinds []param.ParamKind
}

func (r Regularization) applies(k param.ParamKind) bool {
	if r.Kinds == nil {
		return k == param.Weight
	}
	return slices.Contains(r.Kinds, k)
}

func (r Regularization) validate() error {
	c := checker{what: "regularization"}
	c.atLeast("l1", r.L1, 0)
	c.atLeast("l2", r.L2, 0)
	return c.err
}

// trainableKinds are the kinds "all" stands for.
var trainableKinds = []param.ParamKind{param.Weight, param.Bias, param.NormScale, param.NormShift}

// readRegularization reads the options "l1", "l2" and "regularize" over def.
func readRegularization(r *optionReader, def Regularization) Regularization {
	reg := Regularization{
		L1:    r.float("l1", def.L1),
		L2:    r.float("l2", def.L2),
		Kinds: def.Kinds,
	}
	if !r.has("regularize") {
		return reg
	}
	reg.Kinds = []param.ParamKind{}
	for _, name := range r.strings("regularize", nil) {
		if name == "all" {
			reg.Kinds = append(reg.Kinds, trainableKinds...)
			continue
		}
		i := slices.IndexFunc(trainableKinds, func(k param.ParamKind) bool { return k.String() == name })
		if i < 0 {
			r.fail("option regularize: unknown parameter kind %q (want weight, bias, norm_scale, norm_shift or all)", name)
			continue
		}
		reg.Kinds = append(reg.Kinds, trainableKinds[i])
	}
	return reg
}

// Penalty is the current value of every group's regularization penalty,
// L1·Σ|w| + ½·L2·Σw² over its penalised parameters, for reporting it as part of
// the loss. It reads the host's values: with the optimizer on a device, bring
// them back first (param.Updater.PullParams).
func (o *Optimizer) Penalty() float64 {
	total := 0.0
	for _, g := range o.groups {
		if g.reg.L1 == 0 && g.reg.L2 == 0 {
			continue
		}
		for _, s := range g.params {
			if !s.regularized {
				continue
			}
			var abs, squares float64
			if v := s.param.Value; v.F32 != nil {
				abs, squares = kernels.SumAbs(v.F32, o.partial), kernels.SumSquares(v.F32, o.partial)
			} else {
				abs, squares = kernels.SumAbs(v.F64, o.partial), kernels.SumSquares(v.F64, o.partial)
			}
			total += g.reg.L1*abs + 0.5*g.reg.L2*squares
		}
	}
	return total
}
