package launch

import "github.com/descent-ml/descent/cuda"

// The optimizer kernels (optim.cu) update every tensor of a flat region in one
// launch. FlatLayout places tensors on OptimChunk boundaries in such a region;
// GroupTable maps each chunk to its parameter group, whose row of
// hyperparameters (kernels.SGDHyper, …, one row per group, concatenated) the
// kernel reads from device memory — so a captured CUDA graph picks up a new
// learning rate or step count by a copy of the rows, without re-capture. skip
// points at the non-finite check's total (a double that is not 0 when some
// gradient is NaN or ±Inf), which makes the update and GradClamp change
// nothing; 0 means no check. ClipScale reads the sum of squares of the
// gradients from device memory, so clipping by norm needs no host either.

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

func SGD(w, g, buf, hyper, group, skip cuda.Ptr, n int) cuda.Launch {
	return elementwise("SGD", n, p(w), p(g), p(buf), p(hyper), p(group), p(skip), i(OptimChunk), i(n))
}
func Adagrad(w, g, sum, hyper, group, skip cuda.Ptr, n int) cuda.Launch {
	return elementwise("Adagrad", n, p(w), p(g), p(sum), p(hyper), p(group), p(skip), i(OptimChunk), i(n))
}
func Adadelta(w, g, squareAvg, accDelta, hyper, group, skip cuda.Ptr, n int) cuda.Launch {
	return elementwise("Adadelta", n, p(w), p(g), p(squareAvg), p(accDelta), p(hyper), p(group), p(skip), i(OptimChunk), i(n))
}
func RMSProp(w, g, squareAvg, gradAvg, buf, hyper, group, skip cuda.Ptr, n int) cuda.Launch {
	return elementwise("RMSProp", n, p(w), p(g), p(squareAvg), p(gradAvg), p(buf), p(hyper), p(group), p(skip), i(OptimChunk), i(n))
}
func Adam(w, g, m, v, vmax, hyper, group, skip cuda.Ptr, n int) cuda.Launch {
	return elementwise("Adam", n, p(w), p(g), p(m), p(v), p(vmax), p(hyper), p(group), p(skip), i(OptimChunk), i(n))
}

func PenaltyGrad(w, g cuda.Ptr, l1, l2 float64, n int) cuda.Launch {
	return elementwise("PenaltyGrad", n, p(w), p(g), f(float32(l1)), f(float32(l2)), i(n))
}
func ClipScale(x, sumSquares cuda.Ptr, maxNorm float64, n int) cuda.Launch {
	return elementwise("ClipScale", n, p(x), p(sumSquares), cuda.F64Arg(maxNorm), i(n))
}
func GradClamp(x cuda.Ptr, limit float64, skip cuda.Ptr, n int) cuda.Launch {
	return elementwise("GradClamp", n, p(x), f(float32(limit)), p(skip), i(n))
}
