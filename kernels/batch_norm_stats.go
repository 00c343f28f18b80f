package kernels

import "sync"

// BatchNormStats computes the per-channel mean and biased variance of x, viewed
// as N×C×L, in one pass: per row (a channel of one image), its first value
// and Σd, Σd² of d = x − first in float64 (BatchNormRowStats; rows side by
// side, so that the pass reads x in order), then per channel the rows
// combined in image order around the channel's first value, so that a large
// mean does not cancel the variance away (BatchNormStatsFromRows).
func BatchNormStats[T Float](n, c, l int, x, mean, variance []T) {
	if n*l == 0 {
		return
	}
	if l == 1 {
		batchNormStatsColumns(n, c, x, mean, variance)
		return
	}
	rows := rowStatsPool.Get().(*[]float64)
	if len(*rows) < RowStatsLen(n, c) {
		*rows = make([]float64, RowStatsLen(n, c))
	}
	BatchNormRowStats(n*c, l, x, *rows)
	BatchNormStatsFromRows(n, c, l, *rows, mean, variance)
	rowStatsPool.Put(rows)
}

// rowStatsPool holds BatchNormStats' row statistics between calls.
var rowStatsPool = sync.Pool{New: func() any { return new([]float64) }}

// RowStatsLen is the length of the row statistics of an N×C×L tensor.
func RowStatsLen(n, c int) int { return 3 * n * c }

// BatchNormRowStats sets rowStats[3r:3r+3] to row r's first value f and
// Σ(x − f), Σ(x − f)² for the rows of l values of x.
func BatchNormRowStats[T Float](rows, l int, x []T, rowStats []float64) {
	ParallelFor(rows, max(1, elementGrain/l), func(_, lo, hi int) { rowStatsOf(l, lo, hi, x, rowStats) })
}

// rowStatsOf is BatchNormRowStats for rows [lo, hi) on one goroutine.
func rowStatsOf[T Float](l, lo, hi int, x []T, rowStats []float64) {
	for r := lo; r < hi; r++ {
		row := x[r*l : (r+1)*l]
		first := float64(row[0])
		sum, sumSq := shiftedSums(row, first)
		rowStats[3*r], rowStats[3*r+1], rowStats[3*r+2] = first, sum, sumSq
	}
}

// BatchNormStatsFromRows turns the row statistics of x (N×C×L, l > 1) into
// its per-channel mean and biased variance: each channel's rows, shifted to
// the channel's first value s (Σ(x − s) = Σ(x − f) + l·(f − s), Σ(x − s)² =
// Σ(x − f)² + (f − s)·(2Σ(x − f) + l·(f − s))), added in image order, then
// var = Σ(x − s)²/m − (Σ(x − s)/m)².
func BatchNormStatsFromRows[T Float](n, c, l int, rowStats []float64, mean, variance []T) {
	m, lf := float64(n*l), float64(l)
	for ch := 0; ch < c; ch++ {
		shift := rowStats[3*ch]
		var sum, sumSq float64
		for i := 0; i < n; i++ {
			r := rowStats[3*(i*c+ch) : 3*(i*c+ch)+3]
			d := r[0] - shift
			sum += r[1] + lf*d
			sumSq += r[2] + d*(2*r[1]+lf*d)
		}
		mu := sum / m
		mean[ch], variance[ch] = T(shift+mu), T(max(sumSq/m-mu*mu, 0))
	}
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
