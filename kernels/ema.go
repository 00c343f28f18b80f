package kernels

// EMAUpdate moves an exponential moving average of weights one step:
// ema = decay·ema + (1−decay)·w, element-wise, with decay and 1−decay computed
// in float64 and converted to the element type once, as the optimizer kernels
// convert their hyperparameters. Zeros in both stay zeros, so it runs over a
// flat parameter region padding included.
func EMAUpdate[T Float](decay float64, ema, w []T) {
	keep, mix := T(decay), T(1-decay)
	ParallelFor(len(ema), elementGrain, func(_, lo, hi int) {
		e := ema[lo:hi]
		x := w[lo:hi]
		x = x[:len(e)]
		for i := range e {
			// The conversions round each product, so no fused multiply-add
			// makes the result differ from the CUDA twin's.
			e[i] = T(keep*e[i]) + T(mix*x[i])
		}
	})
}
