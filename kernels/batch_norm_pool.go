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
	k, scratch := channelCoefficients(c, 3, affineCoefficients(p))
	defer coefficientPool.Put(scratch)
	forPlanes(n, c, l, func(lo, hi int) {
		var g [PoolPlaneMax]T
		for pl := lo; pl < hi; pl++ {
			k := k[pl%c*3:]
			r := reluPlane(x[pl*l:(pl+1)*l], g[:l], T(k[0]), T(k[1]), T(k[2]))
			maxPool2x2Plane(w, s.OutH(), s.OutW(), r, y[pl*pooled:(pl+1)*pooled])
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

// poolGradient sets d to MaxPool2DBackward's gradient of plane pl of x (H×W
// of s, l values) for its pooled gradient in dy, the ReLU's output
// recomputed in g with the mean, scale and shift k[0:3], and returns x's
// plane and d. The backward passes walk the planes in memory order, as
// batch_norm_planes.go explains, each task with its scratch g and d.
func poolGradient[T Float](s PoolShape, pl, l int, x, dy []T, k []float64, g, d *[PoolPlaneMax]T) (xp, grad []T) {
	pooled := s.OutH() * s.OutW()
	xp = x[pl*l : (pl+1)*l]
	r := reluPlane(xp, g[:l], T(k[0]), T(k[1]), T(k[2]))
	maxPool2x2BackwardPlane(s, r, dy[pl*pooled:(pl+1)*pooled], d[:l])
	return xp, d[:l]
}

// BatchNormReluMaxPoolBackward sets dgamma = Σ g·x̂ and dbeta = Σ g, g being
// the gradient that reaches the normalization's output through the pooling
// and the ReLU from dy, the gradient of BatchNormReluMaxPoolForward's y: the
// sums of BatchNormReluBackward, which BatchNormReluMaxPoolBackwardData
// takes.
func BatchNormReluMaxPoolBackward[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta []T) {
	s, l := BatchNormReluPoolShape(n, c, h, w), h*w
	k, coefScratch := channelCoefficients(c, 3, affineCoefficients(p))
	defer coefficientPool.Put(coefScratch)
	sums, scratch := pieceSums(n*c, 1)
	defer coefficientPool.Put(scratch)
	forPlanes(n, c, l, func(lo, hi int) {
		var g, d [PoolPlaneMax]T
		for pl := lo; pl < hi; pl++ {
			k := k[pl%c*3:]
			xp, grad := poolGradient(s, pl, l, x, dy, k, &g, &d)
			sums[2*pl], sums[2*pl+1] = reluGradientSums(xp, grad, g[:], T(k[0]), T(k[1]), T(k[2]))
		}
	})
	channelSums(n, c, 1, sums, func(ch int, sumDy, sumDyXc float64) {
		setGradientSums(ch, sumDy, sumDyXc, saveInvStd, dgamma, dbeta)
	})
}

// BatchNormReluMaxPoolBackwardData sets dx, the gradient of x for dy, the
// gradient of BatchNormReluMaxPoolForward's y, from the sums dgamma and dbeta
// that BatchNormReluMaxPoolBackward returns.
func BatchNormReluMaxPoolBackwardData[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta, dx []T) {
	pass := newPoolDataPass(n, c, h, w, x, p, dy, saveInvStd, dgamma, dbeta)
	defer pass.release()
	l := h * w
	forPlanes(n, c, l, func(lo, hi int) {
		var g, d [PoolPlaneMax]T
		for pl := lo; pl < hi; pl++ {
			pass.plane(pl, dx[pl*l:(pl+1)*l], &g, &d)
		}
	})
}

// BatchNormReluMaxPoolDataImages is BatchNormDataImages for
// BatchNormReluMaxPoolBackwardData's dx: image(i, dst) writes image i of dx
// into dst, the same bits.
func BatchNormReluMaxPoolDataImages[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta []T) (image func(i int, dst []T), release func()) {
	pass := newPoolDataPass(n, c, h, w, x, p, dy, saveInvStd, dgamma, dbeta)
	l := h * w
	return func(i int, dst []T) {
		var g, d [PoolPlaneMax]T
		for ch := 0; ch < c; ch++ {
			pass.plane(i*c+ch, dst[ch*l:(ch+1)*l], &g, &d)
		}
	}, pass.release
}

// poolDataPass is BatchNormReluMaxPoolBackwardData's coefficients and
// arguments; its plane method is called directly, so that the callers'
// scratch planes stay on their stacks.
type poolDataPass[T Float] struct {
	s       PoolShape
	x, dy   []T
	k       []float64 // per channel: mean, scale, shift and the data coefficients
	scratch *[]float64
}

func newPoolDataPass[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta []T) *poolDataPass[T] {
	k, scratch := channelCoefficients(c, 6, func(ch int, dst []float64) {
		affineCoefficients(p)(ch, dst)
		a, slope, offset := dataCoefficients[T](n*h*w, p.Gamma, ch, float64(saveInvStd[ch]), float64(dgamma[ch]), float64(dbeta[ch]))
		dst[3], dst[4], dst[5] = float64(a), float64(slope), float64(offset)
	})
	return &poolDataPass[T]{s: BatchNormReluPoolShape(n, c, h, w), x: x, dy: dy, k: k, scratch: scratch}
}

// plane writes plane pl of dx into dst with the scratch planes g and d.
func (p *poolDataPass[T]) plane(pl int, dst []T, g, d *[PoolPlaneMax]T) {
	k := p.k[pl%p.s.C*6:]
	xp, grad := poolGradient(p.s, pl, p.s.H*p.s.W, p.x, p.dy, k, g, d)
	reluDataRow(xp, grad, dst, g[:], T(k[0]), T(k[1]), T(k[2]), T(k[3]), T(k[4]), T(k[5]))
}

func (p *poolDataPass[T]) release() { coefficientPool.Put(p.scratch) }

// BatchNormReluMaxPoolBackwardEval is BatchNormReluBackwardEval behind
// BatchNormReluMaxPoolForward with p (the running statistics): dx = g·γ/√(var
// + eps), g the gradient that reaches the normalization's output from dy.
func BatchNormReluMaxPoolBackwardEval[T Float](n, c, h, w int, x []T, p BatchNormAffine[T], dy, dx []T) {
	s, l := BatchNormReluPoolShape(n, c, h, w), h*w
	k, scratch := channelCoefficients(c, 4, func(ch int, dst []float64) {
		affineCoefficients(p)(ch, dst)
		dst[3] = float64(evalFactor(p, ch))
	})
	defer coefficientPool.Put(scratch)
	forPlanes(n, c, l, func(lo, hi int) {
		var g, d [PoolPlaneMax]T
		for pl := lo; pl < hi; pl++ {
			k := k[pl%c*4:]
			xp, grad := poolGradient(s, pl, l, x, dy, k, &g, &d)
			for j, v := range reluMask(xp, grad, g[:], T(k[0]), T(k[1]), T(k[2])) {
				dx[pl*l+j] = v * T(k[3])
			}
		}
	})
}
