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
		}, false)
		return
	}
	normalizePlanes(n, c, l, x, y, func(ch int, dst []float64) {
		g, b := affine(gamma, beta, ch)
		dst[0], dst[1], dst[2] = float64(saveMean[ch]), float64(g*saveInvStd[ch]), float64(b)
	})
}

// BatchNormForwardEval normalizes x with the running statistics into y:
// y = (x − runMean)/√(runVar + eps)·gamma + beta; gamma and beta nil mean 1, 0.
func BatchNormForwardEval[T Float](n, c, l int, x, gamma, beta, runMean, runVar []T, eps T, y []T) {
	p := BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: runMean, Variance: runVar, Eps: eps}
	if l == 1 {
		normalizeColumns(n, c, x, y, p.channel, false)
		return
	}
	normalizePlanes(n, c, l, x, y, affineCoefficients(p))
}

// BatchNormAffine is the per-channel transform of BatchNormForwardEval:
// y = (x − Mean)·(Gamma/√(Variance + Eps)) + Beta, Gamma and Beta nil meaning
// 1 and 0.
type BatchNormAffine[T Float] struct {
	Gamma, Beta, Mean, Variance []T
	Eps                         T
}

// channel returns channel ch's mean, scale and shift.
func (p BatchNormAffine[T]) channel(ch int) (mean, scale, shift T) {
	g, b := affine(p.Gamma, p.Beta, ch)
	return p.Mean[ch], g * T(1/math.Sqrt(float64(p.Variance[ch])+float64(p.Eps))), b
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

// normalizePlanes sets y = (x − mean)·scale + shift plane by plane, each
// channel's mean, scale and shift set by coefficients.
func normalizePlanes[T Float](n, c, l int, x, y []T, coefficients func(ch int, dst []float64)) {
	k, scratch := channelCoefficients(c, 3, coefficients)
	defer coefficientPool.Put(scratch)
	forPlanes(n, c, l, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			ch := pl % c
			normalizeRow(x[pl*l:(pl+1)*l], y[pl*l:(pl+1)*l], T(k[3*ch]), T(k[3*ch+1]), T(k[3*ch+2]))
		}
	})
}

// normalizeRow sets y = (x − mean)·scale + shift over one row.
func normalizeRow[T Float](x, y []T, mean, scale, shift T) {
	if normalizeAsm(x, y, mean, scale, shift) {
		return
	}
	y = y[:len(x)]
	for j, v := range x {
		y[j] = (v-mean)*scale + shift
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
	if dx == nil { // the sums alone, image by image
		imageSums(n, c, l, false, saveInvStd, dgamma, dbeta, func(i int, sums []float64) {
			BatchNormImageSums(c, l, x[i*c*l:(i+1)*c*l], dy[i*c*l:(i+1)*c*l], saveMean, sums)
		})
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
			setGradientSums(ch, sumDy, sumDyXc, saveInvStd, dgamma, dbeta)
			batchNormDataChannel(n, c, l, ch, x, gamma, dy, mean, invStd, sumDyXc*invStd, sumDy, dx)
		}
	})
}

// setGradientSums stores channel ch's dbeta = Σ dy and dgamma = Σ dy·x̂ from
// Σ dy and Σ dy·(x − mean), where they are wanted (not nil).
func setGradientSums[T Float](ch int, sumDy, sumDyXc float64, saveInvStd, dgamma, dbeta []T) {
	if dbeta != nil {
		dbeta[ch] = T(sumDy)
	}
	if dgamma != nil {
		dgamma[ch] = T(sumDyXc * float64(saveInvStd[ch]))
	}
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
	image, release := BatchNormDataImages(n, c, l, x, gamma, dy, saveMean, saveInvStd, dgamma, dbeta)
	defer release()
	forImages(n, c*l, dx, image)
}

// batchNormDataChannel writes channel ch of dx = γ·invStd·(dy − Σdy/m − x̂·Σdy·x̂/m).
func batchNormDataChannel[T Float](n, c, l, ch int, x, gamma, dy []T, mean T, invStd, sumDyXhat, sumDy float64, dx []T) {
	a, slope, offset := dataCoefficients[T](n*l, gamma, ch, invStd, sumDyXhat, sumDy)
	for i := 0; i < n; i++ {
		at := (i*c + ch) * l
		batchNormDataRow(x[at:at+l], dy[at:at+l], dx[at:at+l], mean, a, slope, offset)
	}
}

// dataCoefficients are a, slope and offset of dx = a·dy − slope·(x − mean) −
// offset for channel ch over m values.
func dataCoefficients[T Float](m int, gamma []T, ch int, invStd, sumDyXhat, sumDy float64) (a, slope, offset T) {
	g, _ := affine(gamma, nil, ch)
	a64 := float64(g) * invStd
	return T(a64), T(a64 * invStd * sumDyXhat / float64(m)), T(a64 * sumDy / float64(m))
}

// batchNormDataRow sets dx = a·dy − slope·(x − mean) − offset over one row.
func batchNormDataRow[T Float](x, dy, dx []T, mean, a, slope, offset T) {
	if batchNormDataAsm(x, dy, dx, mean, a, slope, offset) {
		return
	}
	dy, dx = dy[:len(x)], dx[:len(x)]
	for j, v := range x {
		dx[j] = a*dy[j] - slope*(v-mean) - offset
	}
}

// gradientSums returns Σ dy and Σ dy·(x − mean) over a row in float64, in
// assembly where it can (blocks of four values a lane summed in float32
// first, see batch_norm_amd64.s), else with four accumulators each (a fixed
// order).
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
	k, scratch := channelCoefficients(c, 1, func(ch int, dst []float64) {
		g, _ := affine(gamma, nil, ch)
		dst[0] = float64(T(float64(g) / math.Sqrt(float64(runVar[ch])+float64(eps))))
	})
	defer coefficientPool.Put(scratch)
	forPlanes(n, c, l, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			scale, dys := T(k[pl%c]), dy[pl*l:(pl+1)*l]
			dxs := dx[pl*l : pl*l+len(dys)]
			for j, v := range dys {
				dxs[j] = v * scale
			}
		}
	})
}
