package kernels

import "math"

// Batch normalization views its input as N×C×L (L = H·W for 2-D inputs, 1 for
// N×C ones) and normalizes each channel c over its m = N·L values, following
// PyTorch: training normalizes with the biased batch variance, and the running
// statistics move by running = (1−momentum)·running + momentum·batch with the
// unbiased variance. Every channel is handled by one goroutine, its sums taken
// in float64 in a fixed order. The statistics themselves are BatchNormStats and
// BatchNormUpdateRunning (batch_norm_stats.go).

// channelGrain is the number of channels per ParallelFor chunk for an N×C×L
// kernel: about elementGrain elements.
func channelGrain(n, l int) int { return max(1, elementGrain/(n*l)) }

// BatchNormForwardTrain normalizes x with its batch statistics into y, storing
// the batch mean and 1/√(var + eps) in saveMean and saveInvStd (length c) for
// the backward pass. gamma and beta nil mean 1 and 0; runMean and runVar nil
// mean no running statistics. m = n·l must exceed 1 for the unbiased variance
// (PyTorch refuses m = 1 in training; here the running variance then takes the
// biased one).
func BatchNormForwardTrain[T Float](n, c, l int, x, gamma, beta []T, eps, momentum T, runMean, runVar, y, saveMean, saveInvStd []T) {
	variance := saveInvStd // holds the variance until it is turned into 1/√(var + eps)
	BatchNormStats(n, c, l, x, saveMean, variance)
	if runMean != nil && runVar != nil {
		BatchNormUpdateRunning(n*l, momentum, saveMean, variance, runMean, runVar)
	}
	for ch, v := range variance {
		saveInvStd[ch] = T(1 / math.Sqrt(float64(v)+float64(eps)))
	}
	if l == 1 {
		normalizeColumns(n, c, x, y, func(ch int) (mean, scale, shift T) {
			g, b := affine(gamma, beta, ch)
			return saveMean[ch], g * saveInvStd[ch], b
		})
		return
	}
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g, b := affine(gamma, beta, ch)
			normalizeChannel(n, c, l, ch, x, y, saveMean[ch], g*saveInvStd[ch], b)
		}
	})
}

// BatchNormForwardEval normalizes x with the running statistics into y:
// y = (x − runMean)/√(runVar + eps)·gamma + beta; gamma and beta nil mean 1, 0.
func BatchNormForwardEval[T Float](n, c, l int, x, gamma, beta, runMean, runVar []T, eps T, y []T) {
	if l == 1 {
		normalizeColumns(n, c, x, y, func(ch int) (mean, scale, shift T) {
			g, b := affine(gamma, beta, ch)
			return runMean[ch], g * T(1/math.Sqrt(float64(runVar[ch])+float64(eps))), b
		})
		return
	}
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g, b := affine(gamma, beta, ch)
			invStd := T(1 / math.Sqrt(float64(runVar[ch])+float64(eps)))
			normalizeChannel(n, c, l, ch, x, y, runMean[ch], g*invStd, b)
		}
	})
}

// affine returns channel ch's gamma and beta, 1 and 0 when they are nil.
func affine[T Float](gamma, beta []T, ch int) (g, b T) {
	g = 1
	if gamma != nil {
		g = gamma[ch]
	}
	if beta != nil {
		b = beta[ch]
	}
	return g, b
}

// normalizeChannel sets y = (x − mean)·scale + shift over channel ch.
func normalizeChannel[T Float](n, c, l, ch int, x, y []T, mean, scale, shift T) {
	for i := 0; i < n; i++ {
		xs := x[(i*c+ch)*l : (i*c+ch+1)*l]
		ys := y[(i*c+ch)*l : (i*c+ch+1)*l]
		if normalizeAsm(xs, ys, mean, scale, shift) {
			continue
		}
		ys = ys[:len(xs)]
		for j, v := range xs {
			ys[j] = (v-mean)*scale + shift
		}
	}
}

// BatchNormBackward is the training-mode gradient, through the batch statistics
// saved by the forward pass (gamma nil means 1):
//
//	dbeta  = Σ dy,  dgamma = Σ dy·x̂,  x̂ = (x − mean)·invStd,
//	dx     = gamma·invStd·(dy − dbeta/m − x̂·dgamma/m).
//
// Any of dx, dgamma and dbeta may be nil when not needed; the others are
// overwritten.
func BatchNormBackward[T Float](n, c, l int, x, gamma, dy, saveMean, saveInvStd, dx, dgamma, dbeta []T) {
	if l == 1 {
		backwardColumns(n, c, x, gamma, dy, saveMean, saveInvStd, dx, dgamma, dbeta, nil)
		return
	}
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			mean, invStd := saveMean[ch], float64(saveInvStd[ch])
			var sumDy, sumDyXc float64 // Σ dy and Σ dy·(x − mean)
			for i := 0; i < n; i++ {
				a, b := gradientSums(x[(i*c+ch)*l:(i*c+ch+1)*l], dy[(i*c+ch)*l:(i*c+ch+1)*l], mean)
				sumDy += a
				sumDyXc += b
			}
			if dbeta != nil {
				dbeta[ch] = T(sumDy)
			}
			if dgamma != nil {
				dgamma[ch] = T(sumDyXc * invStd)
			}
			if dx != nil {
				batchNormDataChannel(n, c, l, ch, x, gamma, dy, mean, invStd, sumDyXc*invStd, sumDy, dx)
			}
		}
	})
}

// BatchNormBackwardData is the dx part of BatchNormBackward when the sums
// dgamma = Σ dy·x̂ and dbeta = Σ dy are already known (gamma-independent, as
// BatchNormBackward returns them), saving their pass over x and dy.
func BatchNormBackwardData[T Float](n, c, l int, x, gamma, dy, saveMean, saveInvStd, dgamma, dbeta, dx []T) {
	if l == 1 {
		backwardColumns(n, c, x, gamma, dy, saveMean, saveInvStd, dx, nil, nil, func(ch int) (float64, float64) {
			return float64(dgamma[ch]), float64(dbeta[ch])
		})
		return
	}
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			batchNormDataChannel(n, c, l, ch, x, gamma, dy, saveMean[ch], float64(saveInvStd[ch]),
				float64(dgamma[ch]), float64(dbeta[ch]), dx)
		}
	})
}

// batchNormDataChannel writes channel ch of dx = γ·invStd·(dy − Σdy/m − x̂·Σdy·x̂/m).
func batchNormDataChannel[T Float](n, c, l, ch int, x, gamma, dy []T, mean T, invStd, sumDyXhat, sumDy float64, dx []T) {
	m := float64(n * l)
	g, _ := affine(gamma, nil, ch)
	a := float64(g) * invStd
	slope, offset := T(a*invStd*sumDyXhat/m), T(a*sumDy/m)
	for i := 0; i < n; i++ {
		xs := x[(i*c+ch)*l : (i*c+ch+1)*l]
		dys := dy[(i*c+ch)*l : (i*c+ch+1)*l]
		dxs := dx[(i*c+ch)*l : (i*c+ch+1)*l]
		if batchNormDataAsm(xs, dys, dxs, mean, T(a), slope, offset) {
			continue
		}
		dys, dxs = dys[:len(xs)], dxs[:len(xs)]
		for j, v := range xs {
			dxs[j] = T(a)*dys[j] - slope*(v-mean) - offset
		}
	}
}

// gradientSums returns Σ dy and Σ dy·(x − mean) over a row in float64, in
// assembly where it can, else with four accumulators each (a fixed order).
func gradientSums[T Float](x, dy []T, mean T) (sumDy, sumDyXc float64) {
	if a, b, ok := gradientSumsAsm(x, dy, float64(mean)); ok {
		return a, b
	}
	dy = dy[:len(x)]
	mu := float64(mean)
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	j := 0
	for ; j+4 <= len(x); j += 4 {
		v, g := x[j:j+4:j+4], dy[j:j+4:j+4]
		g0, g1, g2, g3 := float64(g[0]), float64(g[1]), float64(g[2]), float64(g[3])
		a0 += g0
		a1 += g1
		a2 += g2
		a3 += g3
		b0 += g0 * (float64(v[0]) - mu)
		b1 += g1 * (float64(v[1]) - mu)
		b2 += g2 * (float64(v[2]) - mu)
		b3 += g3 * (float64(v[3]) - mu)
	}
	for ; j < len(x); j++ {
		g := float64(dy[j])
		a0 += g
		b0 += g * (float64(x[j]) - mu)
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// BatchNormBackwardEval is the evaluation-mode gradient, where the running
// statistics are constants: dx = dy·gamma/√(runVar + eps); gamma nil means 1.
func BatchNormBackwardEval[T Float](n, c, l int, gamma, runVar []T, eps T, dy, dx []T) {
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			g, _ := affine(gamma, nil, ch)
			scale := T(float64(g) / math.Sqrt(float64(runVar[ch])+float64(eps)))
			for i := 0; i < n; i++ {
				dys := dy[(i*c+ch)*l : (i*c+ch+1)*l]
				dxs := dx[(i*c+ch)*l : (i*c+ch+1)*l]
				dxs = dxs[:len(dys)]
				for j, v := range dys {
					dxs[j] = v * scale
				}
			}
		}
	})
}
