package kernels

// BatchNormStats computes the per-channel mean and biased variance of x, viewed
// as N×C×L. The sums run per channel in a fixed order, in float64.
func BatchNormStats[T Float](n, c, l int, x, mean, variance []T) {
	m := float64(n * l)
	ParallelFor(c, 1, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var sum float64
			for i := 0; i < n; i++ {
				for _, v := range x[(i*c+ch)*l : (i*c+ch+1)*l] {
					sum += float64(v)
				}
			}
			mu := sum / m
			var sq float64
			for i := 0; i < n; i++ {
				for _, v := range x[(i*c+ch)*l : (i*c+ch+1)*l] {
					d := float64(v) - mu
					sq += d * d
				}
			}
			mean[ch], variance[ch] = T(mu), T(sq/m)
		}
	})
}

// BatchNormUpdateRunning blends batch statistics over count values into the
// running ones as PyTorch does: running = (1−momentum)·running + momentum·batch,
// with the unbiased variance (× count/(count−1)) for the running variance.
func BatchNormUpdateRunning[T Float](count int, momentum T, mean, variance, runMean, runVar []T) {
	unbias := T(1)
	if count > 1 {
		unbias = T(float64(count) / float64(count-1))
	}
	for ch := range mean {
		runMean[ch] = (1-momentum)*runMean[ch] + momentum*mean[ch]
		runVar[ch] = (1-momentum)*runVar[ch] + momentum*variance[ch]*unbias
	}
}
