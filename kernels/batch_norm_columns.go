package kernels

// Batch norm over N×C inputs (L = 1: BatchNorm1d after a linear layer) runs
// here, row by row across a block of channels, instead of channel by channel
// down strided columns of single values: each row of a block is contiguous,
// and one ParallelFor chunk covers up to columnBlock channels. Every
// channel's float64 sums take its rows in order and every value is computed
// by the same expression as in the channel-wise loops, so the results are the
// same bits.

// columnBlock is the most channels one chunk handles: its per-channel values
// live in arrays of this length on the goroutine's stack.
const columnBlock = 256

// columnGrain is the number of channels per chunk for n rows: about
// elementGrain elements, at most columnBlock channels.
func columnGrain(n int) int { return min(columnBlock, max(1, elementGrain/n)) }

// batchNormStatsColumns is BatchNormStats for l = 1.
func batchNormStatsColumns[T Float](n, c int, x, mean, variance []T) {
	m := float64(n)
	ParallelFor(c, columnGrain(n), func(_, lo, hi int) {
		var sum, sumSq [columnBlock]float64
		shift := x[lo:hi]
		for i := 0; i < n; i++ {
			row := x[i*c+lo : i*c+hi]
			for j, v := range row {
				d := float64(v) - float64(shift[j])
				sum[j] += d
				sumSq[j] += d * d
			}
		}
		for j := range hi - lo {
			mu := sum[j] / m
			mean[lo+j], variance[lo+j] = T(float64(shift[j])+mu), T(max(sumSq[j]/m-mu*mu, 0))
		}
	})
}

// normalizeColumns sets y = (x − mean)·scale + shift for l = 1, with each
// channel's mean, scale and shift from params, and then y = max(y, 0) with relu.
func normalizeColumns[T Float](n, c int, x, y []T, params func(ch int) (mean, scale, shift T), relu bool) {
	ParallelFor(c, columnGrain(n), func(_, lo, hi int) {
		var mean, scale, shift [columnBlock]T
		for j := range hi - lo {
			mean[j], scale[j], shift[j] = params(lo + j)
		}
		for i := 0; i < n; i++ {
			xs, ys := x[i*c+lo:i*c+hi], y[i*c+lo:i*c+hi]
			for j, v := range xs {
				ys[j] = (v-mean[j])*scale[j] + shift[j]
			}
			if relu {
				reluRow(ys, ys)
			}
		}
	})
}

// backwardColumns is BatchNormBackward (sums == nil) or BatchNormBackwardData
// (sums gives each channel's Σdy·x̂ and Σdy) for l = 1.
func backwardColumns[T Float](n, c int, x, gamma, dy, saveMean, saveInvStd, dx, dgamma, dbeta []T, sums func(ch int) (sumDyXhat, sumDy float64)) {
	ParallelFor(c, columnGrain(n), func(_, lo, hi int) {
		var sumDy, sumDyXhat [columnBlock]float64
		if sums != nil {
			for j := range hi - lo {
				sumDyXhat[j], sumDy[j] = sums(lo + j)
			}
		} else {
			mean := saveMean[lo:hi]
			for i := 0; i < n; i++ {
				xs, dys := x[i*c+lo:i*c+hi], dy[i*c+lo:i*c+hi]
				for j, v := range xs {
					g := float64(dys[j])
					sumDy[j] += g
					sumDyXhat[j] += g * (float64(v) - float64(mean[j]))
				}
			}
			for j := range hi - lo {
				sumDyXhat[j] *= float64(saveInvStd[lo+j]) // Σdy·(x − mean) → Σdy·x̂
				if dbeta != nil {
					dbeta[lo+j] = T(sumDy[j])
				}
				if dgamma != nil {
					dgamma[lo+j] = T(sumDyXhat[j])
				}
			}
		}
		if dx == nil {
			return
		}
		// dx = a·dy − slope·(x − mean) − offset, as batchNormDataChannel.
		var a, slope, offset [columnBlock]T
		m := float64(n)
		for j := range hi - lo {
			g, _ := affine(gamma, nil, lo+j)
			invStd := float64(saveInvStd[lo+j])
			aj := float64(g) * invStd
			a[j], slope[j], offset[j] = T(aj), T(aj*invStd*sumDyXhat[j]/m), T(aj*sumDy[j]/m)
		}
		mean := saveMean[lo:hi]
		for i := 0; i < n; i++ {
			xs, dys, dxs := x[i*c+lo:i*c+hi], dy[i*c+lo:i*c+hi], dx[i*c+lo:i*c+hi]
			for j, v := range xs {
				dxs[j] = a[j]*dys[j] - slope[j]*(v-mean[j]) - offset[j]
			}
		}
	})
}

// biasBackwardColumns is BiasBackwardNCL for l = 1: db = Σ over rows of dy.
func biasBackwardColumns[T Float](n, c int, dy, db []T) {
	ParallelFor(c, columnGrain(n), func(_, lo, hi int) {
		var sum [columnBlock]float64
		for i := 0; i < n; i++ {
			for j, v := range dy[i*c+lo : i*c+hi] {
				sum[j] += float64(v)
			}
		}
		for j := range hi - lo {
			db[lo+j] = T(sum[j])
		}
	})
}
