package kernels

// Batch norm, ReLU and 2×2 max pooling fused (LeNet's and VGG's convolution
// blocks). Each (image, channel) plane is normalized and clamped into a
// scratch plane in cache and pooled from there, so the full-size activation
// never goes to memory: the forward pass reads x and writes the pooled y, a
// quarter of it. The backward passes normalize the plane again, route the
// pooled gradient to each window's winner in a second scratch plane, and run
// BatchNormReluBackward's row code on that. Every value comes from the code
// the separate ops run (BatchNormReluForward, MaxPool2DForward,
// MaxPool2DBackward, BatchNormReluBackward and its Data twin) on whole planes
// in the same order, so the results are bit for bit theirs.

// PoolPlaneMax is the largest plane (H·W) the fused ops take: two scratch
// planes stay in cache, and a plane is one piece of the ReLU kernels' rows
// (reluPiece), so that they round as the unfused ops do.
const PoolPlaneMax = reluPiece

// PoolPlaneMin is the smallest plane on which the fused ops beat the
// separate ones: their backward passes make several calls per plane, which
// small planes do not repay (two cores, batch 64, 32 or 64 channels, forward
// plus backward: 8×8 planes 145 µs slower, 12×12 even, 16×16 150 µs faster,
// LeNet's 24×24 375 µs faster).
const PoolPlaneMin = 256

// BatchNormReluPoolShape is the pooling the fused ops run on an N×C×H×W
// input: 2×2 windows, stride 2, no padding.
func BatchNormReluPoolShape(n, c, h, w int) PoolShape {
	return PoolShape{N: n, C: c, H: h, W: w, KH: 2, KW: 2, StrideH: 2, StrideW: 2}
}

// BatchNormReluMaxPoolForward sets y (N×C×⌊H/2⌋×⌊W/2⌋) to MaxPool2DForward's
// 2×2 pooling of BatchNormReluForward's output with the transform p, without
// writing that output. H·W is at most PoolPlaneMax.
func BatchNormReluMaxPoolForward[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], y []T) {
	s := BatchNormReluPoolShape(n, c, h, w)
	l, pooled := h*w, s.OutH()*s.OutW()
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		var g [PoolPlaneMax]T
		for ch := lo; ch < hi; ch++ {
			mean, scale, shift := p.channel(ch)
			for i := 0; i < n; i++ {
				plane := i*c + ch
				r := reluPlane(x[plane*l:(plane+1)*l], g[:l], mean, scale, shift)
				maxPool2x2Plane(w, s.OutH(), s.OutW(), r, y[plane*pooled:(plane+1)*pooled])
			}
		}
	})
}

// reluPlane sets g to max((x − mean)·scale + shift, 0), as
// BatchNormReluForward computes it, and returns g.
func reluPlane[T Float](x, g []T, mean, scale, shift T) []T {
	normalizeRow(x, g, mean, scale, shift)
	reluRow(g, g)
	return g
}

// poolGradient sets d to MaxPool2DBackward's gradient of the plane x (H×W of
// s) for the pooled gradient dy of the plane, the ReLU's output r recomputed
// in g, and returns d.
func poolGradient[T Float](s PoolShape, x, dy, g, d []T, mean, scale, shift T) []T {
	r := reluPlane(x, g, mean, scale, shift)
	maxPool2x2BackwardPlane(s, r, dy, d)
	return d
}

// pooledGradients runs the backward passes over the planes: in parallel over
// the channels, image after image within a channel, fn gets the plane's
// offset in x, the plane, the gradient that reaches the normalization's
// output from dy (poolGradient) and a free scratch plane; channel(ch) runs
// first for each channel and returns its fn.
func pooledGradients[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy []T, channel func(ch int) func(at int, xp, grad, g []T)) {
	s := BatchNormReluPoolShape(n, c, h, w)
	l, pooled := h*w, s.OutH()*s.OutW()
	ParallelFor(c, channelGrain(n, l), func(_, lo, hi int) {
		var g, d [PoolPlaneMax]T
		for ch := lo; ch < hi; ch++ {
			mean, scale, shift := p.channel(ch)
			fn := channel(ch)
			for i := 0; i < n; i++ {
				plane := i*c + ch
				xp := x[plane*l : (plane+1)*l]
				fn(plane*l, xp, poolGradient(s, xp, dy[plane*pooled:(plane+1)*pooled], g[:l], d[:l], mean, scale, shift), g[:])
			}
		}
	})
}

// BatchNormReluMaxPoolBackward sets dgamma = Σ g·x̂ and dbeta = Σ g, g being
// the gradient that reaches the normalization's output through the pooling
// and the ReLU from dy, the gradient of BatchNormReluMaxPoolForward's y: the
// sums of BatchNormReluBackward, which BatchNormReluMaxPoolBackwardData
// takes.
func BatchNormReluMaxPoolBackward[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta []T) {
	sums := make([]float64, 2*c) // Σ g, Σ g·(x − mean) per channel
	pooledGradients(n, c, h, w, x, p, dy, func(ch int) func(int, []T, []T, []T) {
		mean, scale, shift := p.channel(ch)
		return func(_ int, xp, grad, g []T) {
			a, b := reluGradientSums(xp, grad, g, mean, scale, shift)
			sums[2*ch] += a
			sums[2*ch+1] += b
		}
	})
	for ch := range c {
		dbeta[ch] = T(sums[2*ch])
		dgamma[ch] = T(sums[2*ch+1] * float64(saveInvStd[ch]))
	}
}

// BatchNormReluMaxPoolBackwardData sets dx, the gradient of x for dy, the
// gradient of BatchNormReluMaxPoolForward's y, from the sums dgamma and dbeta
// that BatchNormReluMaxPoolBackward returns.
func BatchNormReluMaxPoolBackwardData[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta, dx []T) {
	pooledGradients(n, c, h, w, x, p, dy, func(ch int) func(int, []T, []T, []T) {
		mean, scale, shift := p.channel(ch)
		a, slope, offset := dataCoefficients[T](n*h*w, p.Gamma, ch, float64(saveInvStd[ch]), float64(dgamma[ch]), float64(dbeta[ch]))
		return func(at int, xp, grad, g []T) {
			reluDataRow(xp, grad, dx[at:at+len(xp)], g, mean, scale, shift, a, slope, offset)
		}
	})
}

// BatchNormReluMaxPoolBackwardEval is BatchNormReluBackwardEval behind
// BatchNormReluMaxPoolForward with p (the running statistics): dx = g·γ/√(var
// + eps), g the gradient that reaches the normalization's output from dy.
func BatchNormReluMaxPoolBackwardEval[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, dx []T) {
	pooledGradients(n, c, h, w, x, p, dy, func(ch int) func(int, []T, []T, []T) {
		mean, scale, shift := p.channel(ch)
		factor := evalFactor(p, ch)
		return func(at int, xp, grad, g []T) {
			for j, v := range reluMask(xp, grad, g, mean, scale, shift) {
				dx[at+j] = v * factor
			}
		}
	})
}
