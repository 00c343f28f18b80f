package kernels

import "math"

// The fused optimizer kernels of optim.cu update every tensor of a flat
// region in one launch (package kernels/launch); each parameter group reads
// its row of hyperparameters from device memory, so that a captured CUDA
// graph picks up a new learning rate or step count by a copy of the rows. The
// *Hyper functions append a group's row to dst (allocation-free when dst has
// room), converting the arguments as the Go kernels of optim.go do.

func flag(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// SGDHyper is a row for SGD, as SGD converts its arguments; a momentum
// buffer is used when momentum is not 0 (buf nil in SGD otherwise).
func SGDHyper(dst []float32, lr, momentum, dampening, weightDecay float64, nesterov, first bool) []float32 {
	return append(dst, float32(lr), float32(momentum), float32(1-dampening), float32(weightDecay),
		flag(nesterov), flag(first), flag(momentum != 0))
}

// AdagradHyper is a row for Adagrad at the step's decayed learning rate clr.
func AdagradHyper(dst []float32, clr, weightDecay, eps float64) []float32 {
	return append(dst, float32(-clr), float32(weightDecay), float32(eps))
}

// AdadeltaHyper is a row for Adadelta.
func AdadeltaHyper(dst []float32, lr, rho, eps, weightDecay float64) []float32 {
	return append(dst, float32(lr), float32(rho), float32(1-rho), float32(eps), float32(weightDecay))
}

// RMSPropHyper is a row for RMSProp; centered needs gradAvg, momentum ≠ 0 buf.
func RMSPropHyper(dst []float32, lr, alpha, eps, weightDecay, momentum float64, centered bool) []float32 {
	return append(dst, float32(lr), float32(alpha), float32(1-alpha), float32(eps), float32(weightDecay),
		float32(momentum), flag(centered), flag(momentum != 0))
}

// AdamHyper is a row for Adam (decoupled false: Adam) or AdamW
// (decoupled true: AdamW) at the given step (1 on the first), with
// √(1−β2^step) folded into the step size and eps as Adam folds it.
func AdamHyper(dst []float32, lr, beta1, beta2, eps, weightDecay float64, step int64, decoupled, amsgrad bool) []float32 {
	l2, shrink := weightDecay, 1.0
	if decoupled {
		l2, shrink = 0, 1-lr*weightDecay
	}
	n := float64(step)
	bc2Sqrt := math.Sqrt(1 - math.Pow(beta2, n))
	return append(dst, float32(-lr/(1-math.Pow(beta1, n))*bc2Sqrt), float32(eps*bc2Sqrt),
		float32(beta1), float32(1-beta1), float32(beta2), float32(1-beta2),
		float32(l2), float32(shrink), flag(amsgrad))
}
