package kernels

import (
	"math"
	"unsafe"
)

// Batch norm followed by ReLU (or by a residual sum and ReLU), fused. The
// forward pass clamps each piece of a row right after normalizing it, while
// it is in cache; the backward passes recompute the ReLU's mask from x,
// normalizing each piece again exactly as the forward did (in registers, in
// assembly), instead of reading a masked gradient written by a ReLU step of
// its own. Neither the pre-activation nor its gradient goes to memory: the
// forward makes two passes (statistics, normalization) and the backward two
// (sums, data), over x and dy only. On N×C inputs (l = 1) the forward runs
// down columns as BatchNormForwardEval does and the backward takes rows of
// one value, correct but slow: package graph masks dy with ReLU's own kernel
// there, since the column kernels are compute-bound and recomputing the mask
// would cost more than a vectorized pass over the output.

// reluPiece is the most elements of a row handled at once: the recomputed
// normalization lives in a stack array of this length. Forward and backward
// cut rows at the same places, so each piece takes the same code path
// (assembly or Go) and rounds the same way in both.
const reluPiece = 1024

// streamMinBytes is the least output of a forward pass here that goes to
// memory by non-temporal stores (where the assembly runs and the rows are
// 64-byte aligned), which skip reading each line before writing it: ResNet-8's
// stage-1 batch norms took 1.0 ms instead of 1.8 in `train bench -profile
// resnet`, the whole step 1–2 % less (median of 16 interleaved pairs). Such
// outputs (16 MiB there) leave the cores' caches before their reader gets to
// them anyway; smaller ones stay in cache for the convolution that reads them
// next.
const streamMinBytes = 4 << 20

// streamed reports whether an output of total elements is streamed.
func streamed[T Float](total int) bool { return total*int(unsafe.Sizeof(T(0))) >= streamMinBytes }

// BatchNormReluForward sets y = max(BatchNormForwardEval's y, 0), NaN staying
// NaN, with the transform p (the batch statistics in training).
func BatchNormReluForward[T Float](n, c, l int, x []T, p BatchNormAffine[T], y []T) {
	if l == 1 {
		normalizeColumns(n, c, x, y, p.channel, true)
		return
	}
	k, scratch := channelCoefficients(c, 3, affineCoefficients(p))
	defer coefficientPool.Put(scratch)
	stream := streamed[T](len(y))
	forPlanes(n, c, l, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			k, at := k[pl%c*3:], pl*l
			for a := 0; a < l; a += reluPiece {
				xs, ys := x[at+a:at+min(a+reluPiece, l)], y[at+a:at+min(a+reluPiece, l)]
				if !normalizeReluAsm(xs, ys, T(k[0]), T(k[1]), T(k[2]), stream) {
					normalizeRow(xs, ys, T(k[0]), T(k[1]), T(k[2]))
					reluRow(ys, ys)
				}
			}
		}
		if stream {
			storeFence()
		}
	})
}

// reluMask sets g = dy where max((x − mean)·scale + shift, 0), computed as
// BatchNormReluForward computes it, is positive or NaN, else 0; it returns g.
func reluMask[T Float](x, dy, g []T, mean, scale, shift T) []T {
	g = g[:len(x)]
	normalizeRow(x, g, mean, scale, shift)
	reluBackwardRow(g, dy, g)
	return g
}

// reluGradientSums is gradientSums(x, g, mean) of g, dy masked by reluMask
// in the scratch g, or in one pass in assembly.
func reluGradientSums[T Float](x, dy, g []T, mean, scale, shift T) (sumDy, sumDyXc float64) {
	if s, q, ok := reluGradientSumsAsm(x, dy, mean, scale, shift); ok {
		return s, q
	}
	return gradientSums(x, reluMask(x, dy, g, mean, scale, shift), mean)
}

// reluDataRow is batchNormDataRow of g, dy masked by reluMask in the scratch
// g, or in one pass in assembly.
func reluDataRow[T Float](x, dy, dx, g []T, mean, scale, shift, a, slope, offset T) {
	if reluDataAsm(x, dy, dx, mean, a, slope, offset, scale, shift) {
		return
	}
	batchNormDataRow(x, reluMask(x, dy, g, mean, scale, shift), dx, mean, a, slope, offset)
}

// BatchNormReluBackward is BatchNormBackward behind BatchNormReluForward with
// p (the batch statistics, whose mean is the saved mean): dy is the gradient
// of the ReLU's output, and the normalization's gradient is dy where that
// output was positive (or NaN), 0 elsewhere. Any of dx, dgamma and dbeta may
// be nil.
func BatchNormReluBackward[T Float](n, c, l int, x []T, p BatchNormAffine[T], dy, saveInvStd, dx, dgamma, dbeta []T) {
	if dx == nil { // the sums alone, image by image
		imageSums(n, c, l, true, saveInvStd, dgamma, dbeta, func(i int, sums []float64) {
			BatchNormReluImageSums(c, l, x[i*c*l:(i+1)*c*l], p, dy[i*c*l:(i+1)*c*l], sums)
		})
		return
	}
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		var g [reluPiece]T
		for ch := lo; ch < hi; ch++ {
			mean, scale, shift := p.channel(ch)
			var sumDy, sumDyXc float64
			for at := ch * l; at < n*c*l; at += c * l {
				for a := 0; a < l; a += reluPiece {
					s, q := reluGradientSums(x[at+a:at+min(a+reluPiece, l)], dy[at+a:], g[:], mean, scale, shift)
					sumDy += s
					sumDyXc += q
				}
			}
			invStd := float64(saveInvStd[ch])
			setGradientSums(ch, sumDy, sumDyXc, saveInvStd, dgamma, dbeta)
			reluDataChannel(n, c, l, ch, x, p, dy, invStd, sumDyXc*invStd, sumDy, dx, &g)
		}
	})
}

// BatchNormReluBackwardData is the dx part of BatchNormReluBackward from the
// sums dgamma = Σ g·x̂ and dbeta = Σ g it returns.
func BatchNormReluBackwardData[T Float](n, c, l int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta, dx []T) {
	image, release := BatchNormReluDataImages(n, c, l, x, p, dy, saveInvStd, dgamma, dbeta)
	defer release()
	forImages(n, c*l, dx, image)
}

// reluDataChannel is batchNormDataChannel with dy masked as reluMask does, in
// the scratch g.
func reluDataChannel[T Float](n, c, l, ch int, x []T, p BatchNormAffine[T], dy []T, invStd, sumDyXhat, sumDy float64, dx []T, g *[reluPiece]T) {
	mean, scale, shift := p.channel(ch)
	a, slope, offset := dataCoefficients[T](n*l, p.Gamma, ch, invStd, sumDyXhat, sumDy)
	for at := ch * l; at < n*c*l; at += c * l {
		for b := 0; b < l; b += reluPiece {
			reluDataRow(x[at+b:at+min(b+reluPiece, l)], dy[at+b:], dx[at+b:], g[:], mean, scale, shift, a, slope, offset)
		}
	}
}

// BatchNormReluBackwardEval is BatchNormBackwardEval behind
// BatchNormReluForward with p (the running statistics): dx = g·γ/√(var + eps)
// with g the masked dy.
func BatchNormReluBackwardEval[T Float](n, c, l int, x []T, p BatchNormAffine[T], dy, dx []T) {
	k, scratch := channelCoefficients(c, 4, func(ch int, dst []float64) {
		affineCoefficients(p)(ch, dst)
		dst[3] = float64(evalFactor(p, ch))
	})
	defer coefficientPool.Put(scratch)
	forPlanes(n, c, l, func(lo, hi int) {
		var g [reluPiece]T
		for pl := lo; pl < hi; pl++ {
			k, at := k[pl%c*4:], pl*l
			for b := 0; b < l; b += reluPiece {
				xs := x[at+b : at+min(b+reluPiece, l)]
				masked := reluMask(xs, dy[at+b:], g[:], T(k[0]), T(k[1]), T(k[2]))
				for j, v := range masked {
					dx[at+b+j] = v * T(k[3])
				}
			}
		}
	})
}

// evalFactor is channel ch's γ/√(var + eps), the gradient's factor in
// evaluation.
func evalFactor[T Float](p BatchNormAffine[T], ch int) T {
	gamma, _ := affine(p.Gamma, nil, ch)
	return T(float64(gamma) / math.Sqrt(float64(p.Variance[ch])+float64(p.Eps)))
}

// BatchNormAddReluForward sets y = max(BatchNormForwardEval's y + r, 0), NaN
// staying NaN, with the transform p: a residual block's last batch norm, its
// sum with the shortcut r and the ReLU after it, in one pass over memory.
func BatchNormAddReluForward[T Float](n, c, l int, x []T, p BatchNormAffine[T], r, y []T) {
	k, scratch := channelCoefficients(c, 3, affineCoefficients(p))
	defer coefficientPool.Put(scratch)
	stream := streamed[T](len(y))
	forPlanes(n, c, l, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			k, at := k[pl%c*3:], pl*l
			normalizeAddReluRow(x[at:at+l], r[at:at+l], y[at:at+l], T(k[0]), T(k[1]), T(k[2]), stream)
		}
		if stream {
			storeFence()
		}
	})
}

// normalizeAddReluRow sets y = max((x − mean)·scale + shift + r, 0) over one
// row, in one pass in assembly (streaming y with stream), else piece by
// piece.
func normalizeAddReluRow[T Float](x, r, y []T, mean, scale, shift T, stream bool) {
	if normalizeAddReluAsm(x, r, y, mean, scale, shift, stream) {
		return
	}
	for a := 0; a < len(x); a += reluPiece {
		ys, rs := y[a:min(a+reluPiece, len(x))], r[a:min(a+reluPiece, len(x))]
		normalizeRow(x[a:a+len(ys)], ys, mean, scale, shift)
		for j, v := range rs {
			ys[j] += v
		}
		reluRow(ys, ys)
	}
}

// BatchNormAddBatchNormReluForward sets y = max(BatchNormForwardEval's y of x
// with p + that of r with q, 0), NaN staying NaN: a residual block's last
// batch norm, the batch norm of its projection shortcut, their sum and the
// ReLU, in one pass that reads both batch norms' inputs.
func BatchNormAddBatchNormReluForward[T Float](n, c, l int, x []T, p BatchNormAffine[T], r []T, q BatchNormAffine[T], y []T) {
	k, scratch := channelCoefficients(c, 6, func(ch int, dst []float64) {
		affineCoefficients(p)(ch, dst[:3])
		affineCoefficients(q)(ch, dst[3:])
	})
	defer coefficientPool.Put(scratch)
	stream := streamed[T](len(y))
	forPlanes(n, c, l, func(lo, hi int) {
		var rn [reluPiece]T
		for pl := lo; pl < hi; pl++ {
			k, at := k[pl%c*6:], pl*l
			mean, scale, shift, meanR, scaleR, shiftR := T(k[0]), T(k[1]), T(k[2]), T(k[3]), T(k[4]), T(k[5])
			xs, rs, ys := x[at:at+l], r[at:at+l], y[at:at+l]
			if normalize2AddReluAsm(xs, rs, ys, mean, scale, shift, meanR, scaleR, shiftR, stream) {
				continue
			}
			for a := 0; a < l; a += reluPiece {
				b := min(a+reluPiece, l)
				normalizeRow(rs[a:b], rn[:b-a], meanR, scaleR, shiftR)
				normalizeAddReluRow(xs[a:b], rn[:b-a], ys[a:b], mean, scale, shift, false)
			}
		}
		if stream {
			storeFence()
		}
	})
}
