package kernels

// BatchNormStats computes the per-channel mean and biased variance of x, viewed
// as N×C×L, in one pass: per row, Σd and Σd² of d = x − shift in float64, with
// shift the channel's first value (so that a large mean does not cancel the
// variance away), rows added in order. var = Σd²/m − (Σd/m)².
func BatchNormStats[T Float](n, c, l int, x, mean, variance []T) {
	m := float64(n * l)
	if m == 0 {
		return
	}
	if l == 1 {
		batchNormStatsColumns(n, c, x, mean, variance)
		return
	}
	ParallelFor(c, 1, func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			shift := float64(x[ch*l])
			var sum, sumSq float64
			for i := 0; i < n; i++ {
				s, q := shiftedSums(x[(i*c+ch)*l:(i*c+ch+1)*l], shift)
				sum += s
				sumSq += q
			}
			mu := sum / m
			mean[ch], variance[ch] = T(shift+mu), T(max(sumSq/m-mu*mu, 0))
		}
	})
}

// shiftedSums returns Σ (x − shift) and Σ (x − shift)² over a row in float64,
// in assembly where it can (blocks of four values a lane summed in float32
// first, see batch_norm_amd64.s), else with four accumulators each.
func shiftedSums[T Float](x []T, shift float64) (sum, sumSq float64) {
	if s, q, ok := shiftedSumsAsm(x, shift); ok {
		return s, q
	}
	var s0, s1, s2, s3, q0, q1, q2, q3 float64
	j := 0
	for ; j+4 <= len(x); j += 4 {
		v := x[j : j+4 : j+4]
		d0, d1, d2, d3 := float64(v[0])-shift, float64(v[1])-shift, float64(v[2])-shift, float64(v[3])-shift
		s0 += d0
		s1 += d1
		s2 += d2
		s3 += d3
		q0 += d0 * d0
		q1 += d1 * d1
		q2 += d2 * d2
		q3 += d3 * d3
	}
	for ; j < len(x); j++ {
		d := float64(x[j]) - shift
		s0 += d
		q0 += d * d
	}
	return (s0 + s1) + (s2 + s3), (q0 + q1) + (q2 + q3)
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
