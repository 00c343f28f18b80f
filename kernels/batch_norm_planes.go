package kernels

import "sync"

// The element-wise passes of batch norm (normalizing, the gradient of x once
// its sums are known) walk an N×C×L tensor plane by plane in memory order,
// the planes cut into contiguous runs across the cores. A channel at a time
// would jump C·L elements between its planes, and planes of 64 or 256 values
// (ResNet-8's 8×8 and 16×16 stages) are runs too short for the hardware
// prefetchers: the 16×16 stage's normalization took 1.08 ms a channel at a
// time and 0.67 ms in memory order. Each channel's coefficients are computed
// once, before the pass, as float64 images of the T values the per-channel
// loops used, so every element gets the same arithmetic as before.

// coefficientPool holds the per-channel coefficient scratch between calls.
var coefficientPool = sync.Pool{New: func() any { return new([]float64) }}

// channelCoefficients returns k coefficients per channel, channel ch's at
// [ch·k, ch·k+k), set by fill, in scratch from coefficientPool, where the
// caller puts scratch back when done.
func channelCoefficients(c, k int, fill func(ch int, dst []float64)) (coefs []float64, scratch *[]float64) {
	p := coefficientPool.Get().(*[]float64)
	if cap(*p) < c*k {
		*p = make([]float64, c*k)
	}
	coefs = (*p)[:c*k]
	for ch := 0; ch < c; ch++ {
		fill(ch, coefs[ch*k:ch*k+k])
	}
	return coefs, p
}

// forPlanes calls fn(lo, hi) for runs of planes [lo, hi) of an N×C×L
// tensor (plane i·c + ch starts at element (i·c + ch)·l) covering all n·c of
// them, in parallel, about elementGrain elements a run.
func forPlanes(n, c, l int, fn func(lo, hi int)) {
	ParallelFor(n*c, max(1, elementGrain/l), func(_, lo, hi int) { fn(lo, hi) })
}

// affineCoefficients fills dst with channel ch's mean, scale and shift of p.
func affineCoefficients[T Float](p BatchNormAffine[T]) func(ch int, dst []float64) {
	return func(ch int, dst []float64) {
		mean, scale, shift := p.channel(ch)
		dst[0], dst[1], dst[2] = float64(mean), float64(scale), float64(shift)
	}
}

// pieceSums is room for the pairs of sums (Σ dy, Σ dy·(x − mean)) of every
// piece of every plane, planes·pieces pairs, in scratch from
// coefficientPool, where the caller puts scratch back when done.
func pieceSums(planes, pieces int) (sums []float64, scratch *[]float64) {
	p := coefficientPool.Get().(*[]float64)
	if need := 2 * planes * pieces; cap(*p) < need {
		*p = make([]float64, need)
	}
	return (*p)[:2*planes*pieces], p
}

// channelSums adds up each channel's piece sums, image after image and piece
// after piece within a plane: the order in which the channel loops summed
// them, so the totals are bit for bit theirs. It calls done(ch, Σ dy,
// Σ dy·(x − mean)) for every channel.
func channelSums(n, c, pieces int, sums []float64, done func(ch int, sumDy, sumDyXc float64)) {
	for ch := 0; ch < c; ch++ {
		var sumDy, sumDyXc float64
		for i := 0; i < n; i++ {
			for j := 0; j < pieces; j++ {
				at := 2 * ((i*c+ch)*pieces + j)
				sumDy += sums[at]
				sumDyXc += sums[at+1]
			}
		}
		done(ch, sumDy, sumDyXc)
	}
}
