package kernels

// Global average pooling (PyTorch's AdaptiveAvgPool2d to 1×1) over planes of
// hw elements: one output per plane. The CUDA twins (global_pool.cu) give one
// plane to each thread and follow these loops.

// GlobalAvgPoolForward sets y[p] to the mean of plane p of x, summed in
// float64 in order.
func GlobalAvgPoolForward[T Float](planes, hw int, x, y []T) {
	ParallelFor(planes, max(1, elementGrain/hw), func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			var sum float64
			for _, v := range x[p*hw : (p+1)*hw] {
				sum += float64(v)
			}
			y[p] = T(sum / float64(hw))
		}
	})
}

// GlobalAvgPoolBackward sets every element of plane p of dx to dy[p]/hw.
func GlobalAvgPoolBackward[T Float](planes, hw int, dy, dx []T) {
	ParallelFor(planes, max(1, elementGrain/hw), func(_, lo, hi int) {
		for p := lo; p < hi; p++ {
			fill(dx[p*hw:(p+1)*hw], dy[p]/T(hw))
		}
	})
}
