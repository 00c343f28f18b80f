package launch

import "github.com/descent-ml/descent/cuda"

// EMA of weights (ema.cu).

// EMARates is the device row EMAUpdate reads: decay and 1−decay, each computed
// in float64 and converted as kernels.EMAUpdate converts them.
func EMARates(decay float64) []float32 { return []float32{float32(decay), float32(1 - decay)} }

// EMAUpdate sets ema = rates[0]·ema + rates[1]·w over n elements.
func EMAUpdate(rates, ema, w cuda.Ptr, n int) cuda.Launch {
	return elementwise("EMAUpdate", n, p(rates), p(ema), p(w), i(n))
}
