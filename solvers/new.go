package solvers

import (
	"fmt"
	"strings"
)

// New returns an optimizer by torch.optim class name (sgd, adagrad, adadelta,
// rmsprop, adam, adamw; any case) with its constructor options by PyTorch's
// names. Missing options take PyTorch's defaults (SGD's lr has none and is
// required). Numbers may be float64 or int, flags bool, betas a list of two
// numbers. Besides the algorithm's own options, opts may hold the Settings:
// "l1", "l2" and "regularize" (the default Regularization of every group),
// "clip_grad_value", "clip_grad_norm" and "skip_nonfinite". An unknown option
// is an error naming it.
func New(name string, opts map[string]any) (*Optimizer, error) {
	r := newOptionReader(strings.ToLower(name), opts)
	var algo Algorithm
	switch r.what {
	case "sgd":
		algo = readSGD(r)
	case "adagrad":
		algo = readAdagrad(r)
	case "adadelta":
		algo = readAdadelta(r)
	case "rmsprop":
		algo = readRMSProp(r)
	case "adam":
		algo = readAdam(r, DefaultAdam())
	case "adamw":
		algo = AdamW(readAdam(r, Adam(DefaultAdamW())))
	default:
		return nil, fmt.Errorf("solvers: unknown optimizer %q (want sgd, adagrad, adadelta, rmsprop, adam or adamw)", name)
	}
	settings := Settings{
		Regularization: readRegularization(r, Regularization{}),
		ClipGradValue:  r.float("clip_grad_value", 0),
		ClipGradNorm:   r.float("clip_grad_norm", 0),
		SkipNonFinite:  r.bool("skip_nonfinite", false),
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return NewOptimizer(algo, settings)
}
