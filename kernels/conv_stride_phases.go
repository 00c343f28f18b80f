package kernels

// The backward data pass of strided convolutions by stride phases. Input
// row h of phase ρ = (h + PadH) mod StrideH is reached by the filter rows
// ρ, ρ+StrideH, … only: with q = (h + PadH − ρ)/StrideH,
//
//	dx[h] = Σ_t w[ρ + t·StrideH] · dy[q − t],
//
// a unit-stride convolution of dy with the phase's sub-filter, flipped, and
// likewise for the columns. So each of the StrideH·StrideW phases of dx is
// the output of an implicit GEMM over one zero-padded copy of the image's
// output gradients, shared by the phases (each starts at its own offset into
// it), written into a scratch in the lane's cache and then into every
// StrideH-th row and StrideW-th column of dx, which was cleared (phases that
// no filter tap reaches, those of a 1×1 filter but the first, stay zero).
// Where the column stride is 2, every phase is reached and an image of dx is
// small (interleaved), the outputs of a row phase's two column phases stay
// in the scratch side by side, and each of its rows of dx is written once,
// interleaving them.
// Against im2col's GEMM and col2im, no R·S·C-row column-gradient matrix is
// written and read back, the GEMMs read their B in place, and the taps are
// summed in the GEMMs' registers rather than by col2im's strided adds.

// strideAxis is one phase of dx along an axis.
type strideAxis struct {
	taps  int // filter taps of the phase, ρ, ρ+stride, …
	first int // the input coordinate of the phase's first element
	n     int // elements of the phase in [0, in)
	start int // the padded plane's row (column) under the phase's first window
}

// strideAxes returns the stride phases of an axis of in inputs, out outputs,
// k taps, stride and pad, and the zero padding the shared plane needs
// before and after the out output gradients.
func strideAxes(in, out, k, stride, pad int) (axes []strideAxis, before, after int) {
	axes = make([]strideAxis, stride)
	for rho := range axes {
		a := &axes[rho]
		if rho < k {
			a.taps = (k-1-rho)/stride + 1
		}
		q0 := max(0, ceilDiv(pad-rho, stride)) // first q with q·stride + ρ − pad ≥ 0
		if last := in - 1 + pad - rho; last >= 0 {
			a.n = last/stride - q0 + 1
		}
		a.first = q0*stride + rho - pad
		if a.taps == 0 || a.n <= 0 {
			continue
		}
		// The phase's element m sums dy[q0 + m − t] over its taps t: the
		// windows start at q0 − taps + 1 and end at q0 + n − 1.
		before = max(before, a.taps-1-q0)
		after = max(after, q0+a.n-1-(out-1))
		a.start = q0 - a.taps + 1
	}
	for rho := range axes {
		axes[rho].start += before
	}
	return axes, before, after
}

// stridePhases describes stridedBackwardData's GEMMs for shape s.
type stridePhases struct {
	rows, cols     []strideAxis
	top, left      int  // zero padding before dy in the shared planes
	hq, wq         int  // the shared planes' size
	xs             int  // the shared planes with the slack of every phase's reads
	filters        int  // every phase's sub-filters
	interleaved    bool // see interleavedMaxImage: dx is written by interleavePhases
	ext, out, lane int  // per lane: the largest phase's ext and panel, its output (a row phase's if interleaved), and all
}

// phase is the implicit convolution of phase (i, j): the K output-gradient
// channels in, C out, over the phase's sub-filter, unpadded and of unit
// stride, its output the phase's elements; ok is false where the phase is
// empty or no tap reaches it.
func (p *stridePhases) phase(s ConvShape, i, j int) (t ConvShape, l implicitLayout, ok bool) {
	r, c := p.rows[i], p.cols[j]
	if r.taps == 0 || c.taps == 0 || r.n <= 0 || c.n <= 0 {
		return t, l, false
	}
	t = ConvShape{N: 1, C: s.K, H: r.n + r.taps - 1, W: c.n + c.taps - 1, K: s.C, R: r.taps, S: c.taps,
		StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	return t, planesLayout(t, p.hq, p.wq), true
}

// interleavedMaxImage is the most elements of an image of dx that
// stridedBackwardData writes by interleaving the column phases (with column
// stride 2 and every phase reached) rather than clearing it and adding every
// phase: measured on ResNet-8, 5% faster for its 32 channels of 16×16, 3-5%
// slower for its 16 of 32×32, where the image (64 KB) and the phases'
// outputs no longer stay in L1.
const interleavedMaxImage = 8192

func newStridePhases(s ConvShape) stridePhases {
	var p stridePhases
	var bottom, right int
	p.rows, p.top, bottom = strideAxes(s.H, s.OutH(), s.R, s.StrideH, s.PadH)
	p.cols, p.left, right = strideAxes(s.W, s.OutW(), s.S, s.StrideW, s.PadW)
	p.hq, p.wq = p.top+s.OutH()+bottom, p.left+s.OutW()+right
	p.xs = s.K * p.hq * p.wq
	p.interleaved = s.StrideW == 2 && s.C*s.H*s.W <= interleavedMaxImage
	pairs := 0 // the largest output of a row phase
	for i := range p.rows {
		pair := 0
		for j := range p.cols {
			t, l, ok := p.phase(s, i, j)
			if !ok {
				p.interleaved = false
				continue
			}
			p.xs = max(p.xs, p.rows[i].start*p.wq+p.cols[j].start+l.xs)
			p.filters += l.filters
			p.ext = max(p.ext, l.lane-l.xs)
			p.out = max(p.out, s.C*t.OutH()*t.OutW())
			pair += s.C * t.OutH() * t.OutW()
		}
		pairs = max(pairs, pair)
	}
	if p.interleaved {
		p.out = pairs
	}
	p.lane = p.xs + p.ext + p.out
	return p
}

// stridedData reports whether s's backward data pass runs by stride phases
// (stridedBackwardData): strided, without dilation or groups, 8 input
// channels or more (the phases' filters, a micro-kernel's rows) but few
// (fewStridedChannels), and tap offsets that fit an int32.
func stridedData(s ConvShape) bool {
	return (s.StrideH > 1 || s.StrideW > 1) && s.DilationH == 1 && s.DilationW == 1 && s.groups() == 1 &&
		s.C >= 8 && fewStridedChannels(s) && newStridePhases(s).xs < 1<<31
}

// stridedMaxChannels is the most input channels of a strided convolution
// whose backward data pass runs by stride phases, and, with a 1×1 filter,
// its other passes as implicit GEMMs. They beat im2col's GEMMs, whose inner
// dimension is then short, on ResNet-8's 16 and 32 channels (its stride-2
// 3×3s and 1×1 shortcuts), but lose to them from 64 channels on (ResNet-18's
// stride-2 3×3s and shortcuts at batch 32: 5-45% slower).
const stridedMaxChannels = 32

// fewStridedChannels reports whether the strided s has at most
// stridedMaxChannels input channels and is not deep (whose whole-batch GEMMs
// it keeps).
func fewStridedChannels(s ConvShape) bool { return s.C <= stridedMaxChannels && !deepConv(s) }

// stridedWorkspace is stridedBackwardData's scratch: the phases' filters and
// the lanes' scratch.
func stridedWorkspace(s ConvShape) int {
	p := newStridePhases(s)
	return p.filters + implicitLanes(s)*p.lane
}

// phaseFilters writes phase (i, j)'s sub-filters, flipped, as the GEMM's
// rows: f[c][k][u][v] = w[k][c][ρ + (Tr−1−u)·StrideH][σ + (Ts−1−v)·StrideW],
// then zero up to l.filters.
func phaseFilters[T Float](s ConvShape, i, j int, t ConvShape, l implicitLayout, w, f []T) {
	rs := s.R * s.S
	for c := 0; c < s.C; c++ {
		for k := 0; k < s.K; k++ {
			src := w[(k*s.C+c)*rs:]
			dst := f[(c*s.K+k)*t.R*t.S:]
			for u := 0; u < t.R; u++ {
				r := i + (t.R-1-u)*s.StrideH
				for v := 0; v < t.S; v++ {
					dst[u*t.S+v] = src[r*s.S+j+(t.S-1-v)*s.StrideW]
				}
			}
		}
	}
	clear(f[s.C*s.K*t.R*t.S : l.filters])
}

// stridePhase is one phase's implicit GEMM of stridedBackwardData.
type stridePhase[T Float] struct {
	rows, cols strideAxis
	t          ConvShape
	l          implicitLayout
	taps       implicitTaps
	filters    []T
	out        int // the offset of its output in the lane's scratch, if interleaved (past its row phase's first)
}

// stridedBackwardData computes dx from dy and w for s with stridedData.
func stridedBackwardData[T Float](s ConvShape, w, dy, dx, work []T) {
	chw, kp := s.C*s.H*s.W, s.K*s.OutH()*s.OutW()
	stridedImages(s, w, func(_, n int) []T { return dy[n*kp : (n+1)*kp] }, work,
		func(_, n int) []T { return dx[n*chw : (n+1)*chw] }, nil)
}

// stridedImages computes the images of dx from the images dy(lane, n) of
// the output gradients and w for s with stridedData, image n into
// image(lane, n) on the lane that computes it, and calls done(n, img),
// where not nil, once that image is written, while it is in the lane's
// cache.
func stridedImages[T Float](s ConvShape, w []T, dy func(lane, n int) []T, work []T, image func(lane, n int) []T, done func(n int, img []T)) {
	p := newStridePhases(s)
	var phases []stridePhase[T]
	next := work
	for i, r := range p.rows {
		offset := 0
		for j, c := range p.cols {
			if t, l, ok := p.phase(s, i, j); ok {
				phaseFilters(s, i, j, t, l, w, next)
				phases = append(phases, stridePhase[T]{r, c, t, l, newImplicitTaps(t, l), next[:l.filters], offset})
				defer phases[len(phases)-1].taps.release()
				next = next[l.filters:]
				if p.interleaved {
					offset += s.C * r.n * c.n
				}
			}
		}
	}
	lanes, oh, ow := implicitLanes(s), s.OutH(), s.OutW()
	plane := p.hq * p.wq
	ParallelFor(lanes, 1, func(lane, _, _ int) {
		scratch := next[lane*p.lane : (lane+1)*p.lane]
		xs, gemm, out := scratch[:p.xs], scratch[p.xs:p.xs+p.ext], scratch[p.xs+p.ext:]
		clear(xs) // the padding and the slack stay zero
		for n := lane; n < s.N; n += lanes {
			g := dy(lane, n)
			for k := 0; k < s.K; k++ {
				copyRows(xs[k*plane+p.top*p.wq+p.left:], p.wq, g[k*oh*ow:], ow, oh, ow)
			}
			img := image(lane, n)
			if p.interleaved {
				for i := 0; i < len(phases); i += 2 { // row phase by row phase, its outputs in cache
					for _, f := range phases[i : i+2] {
						implicitPlanes(f.t, f.l, f.taps, xs[f.rows.start*p.wq+f.cols.start:], f.filters, nil, out[f.out:], gemm)
					}
					interleavePhases(s, phases[i], phases[i+1], out, img)
				}
			} else {
				clear(img)
				for _, f := range phases {
					r, c := f.rows, f.cols
					implicitPlanes(f.t, f.l, f.taps, xs[r.start*p.wq+c.start:], f.filters, nil, out, gemm)
					for ch := 0; ch < s.C; ch++ {
						scatterAddRows(img[ch*s.H*s.W+r.first*s.W+c.first:], s.StrideH*s.W, out[ch*r.n*c.n:], c.n, r.n, c.n, s.StrideW)
					}
				}
			}
			if done != nil {
				done(n, img)
			}
		}
	})
}

// interleavePhases writes the rows of an image's dx of one row phase from
// the outputs in out of its two column phases, for interleaved shapes: one
// of them holds the even columns (first 0).
func interleavePhases[T Float](s ConvShape, even, odd stridePhase[T], out, img []T) {
	if even.cols.first != 0 {
		even, odd = odd, even
	}
	r, ne, no := even.rows, even.cols.n, odd.cols.n
	for ch := 0; ch < s.C; ch++ {
		interleaveRows(img[(ch*s.H+r.first)*s.W:], s.StrideH*s.W, out[even.out+ch*r.n*ne:], ne, out[odd.out+ch*r.n*no:], no, r.n, s.W)
	}
}
