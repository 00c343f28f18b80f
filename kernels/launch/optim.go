package launch

import (
	"math"

	"github.com/descent-ml/descent/cuda"
)

// The optimizer kernels (optim.cu) update every tensor of a flat region in one
// launch. FlatLayout places tensors on OptimChunk boundaries in such a region;
// GroupTable maps each chunk to its parameter group, whose row of
// hyperparameters (the *Hyper functions, one row per group, concatenated) the
// kernel reads from device memory — so a captured CUDA graph picks up a new
// learning rate or step count by a copy of the rows, without re-capture.

// OptimChunk is the alignment, in elements, of tensors in a flat region, and the
// granularity of the group table.
const OptimChunk = 1024

// FlatLayout returns the element offset of each tensor of the given sizes in a
// flat region, each on an OptimChunk boundary, and the region's length.
func FlatLayout(sizes []int) (offsets []int, total int) {
	offsets = make([]int, len(sizes))
	for k, n := range sizes {
		offsets[k] = total
		total += (n + OptimChunk - 1) / OptimChunk * OptimChunk
	}
	return offsets, total
}

// GroupTable gives each OptimChunk of a region of total elements the group of
// the tensor it belongs to; chunks of no tensor get group 0 (they hold zeros).
// A negative group marks a tensor the kernels leave alone (a parameter outside
// the optimizer).
func GroupTable(offsets, sizes, groups []int, total int) []int32 {
	table := make([]int32, (total+OptimChunk-1)/OptimChunk)
	for k, off := range offsets {
		for c := off / OptimChunk; c < (off+sizes[k]+OptimChunk-1)/OptimChunk; c++ {
			table[c] = int32(groups[k])
		}
	}
	return table
}

func flag(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// The *Hyper functions append a group's row to dst (allocation-free when dst
// has room).

// SGDHyper is a row for SGD, as kernels.SGD converts its arguments; a momentum
// buffer is used when momentum is not 0 (buf nil in kernels.SGD otherwise).
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

// AdamHyper is a row for Adam (decoupled false: kernels.Adam) or AdamW
// (decoupled true: kernels.AdamW) at the given step (1 on the first), with
// √(1−β2^step) folded into the step size and eps as kernels.Adam folds it.
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

func SGD(w, g, buf, hyper, group cuda.Ptr, n int) cuda.Launch {
	return elementwise("SGD", n, p(w), p(g), p(buf), p(hyper), p(group), i(OptimChunk), i(n))
}
func Adagrad(w, g, sum, hyper, group cuda.Ptr, n int) cuda.Launch {
	return elementwise("Adagrad", n, p(w), p(g), p(sum), p(hyper), p(group), i(OptimChunk), i(n))
}
func Adadelta(w, g, squareAvg, accDelta, hyper, group cuda.Ptr, n int) cuda.Launch {
	return elementwise("Adadelta", n, p(w), p(g), p(squareAvg), p(accDelta), p(hyper), p(group), i(OptimChunk), i(n))
}
func RMSProp(w, g, squareAvg, gradAvg, buf, hyper, group cuda.Ptr, n int) cuda.Launch {
	return elementwise("RMSProp", n, p(w), p(g), p(squareAvg), p(gradAvg), p(buf), p(hyper), p(group), i(OptimChunk), i(n))
}
func Adam(w, g, m, v, vmax, hyper, group cuda.Ptr, n int) cuda.Launch {
	return elementwise("Adam", n, p(w), p(g), p(m), p(v), p(vmax), p(hyper), p(group), i(OptimChunk), i(n))
}

func PenaltyGrad(w, g cuda.Ptr, l1, l2 float64, n int) cuda.Launch {
	return elementwise("PenaltyGrad", n, p(w), p(g), f(float32(l1)), f(float32(l2)), i(n))
}
func GradScale(x cuda.Ptr, s float64, n int) cuda.Launch {
	return elementwise("GradScale", n, p(x), f(float32(s)), i(n))
}
func GradClamp(x cuda.Ptr, limit float64, n int) cuda.Launch {
	return elementwise("GradClamp", n, p(x), f(float32(limit)), i(n))
}
