package kernels

// Depthwise convolutions (Groups = C, K = m·C: filter k sees input channel
// k/m) run directly, one output plane per task: with one input channel per
// filter a GEMM would have a single row of C·R·S = R·S taps and waste the
// micro-kernels. The loops visit the taps (r, s) in order, so that the CUDA
// twins (conv_depthwise.cu), which compute one element per thread, add the
// same products in the same order.

// depthwiseGrain is the number of output elements per parallel task.
const depthwiseGrain = 1 << 12

// DepthwiseConv2DForward is Conv2DForward for a depthwise s.
func DepthwiseConv2DForward[T Float](s ConvShape, x, w, bias, y []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	ParallelFor(s.N*s.K, max(1, depthwiseGrain/ohw), func(_, lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			n, k := plane/s.K, plane%s.K
			src := x[(n*s.C+k/mult)*hw : (n*s.C+k/mult+1)*hw]
			dst := y[plane*ohw : (plane+1)*ohw]
			b := T(0)
			if bias != nil {
				b = bias[k]
			}
			fill(dst, b)
			for r := 0; r < s.R; r++ {
				offH := r*s.DilationH - s.PadH
				hLo, hHi := validRange(offH, s.StrideH, s.H, oh)
				for sx := 0; sx < s.S; sx++ {
					offW := sx*s.DilationW - s.PadW
					wLo, wHi := validRange(offW, s.StrideW, s.W, ow)
					tap := w[k*rs+r*s.S+sx]
					for i := hLo; i < hHi; i++ {
						at := (i*s.StrideH+offH)*s.W + offW // input of (i, 0)
						out := dst[i*ow+wLo : i*ow+wHi]
						if s.StrideW == 1 {
							in := src[at+wLo : at+wHi]
							for j := range out {
								out[j] += tap * in[j]
							}
							continue
						}
						for j := range out {
							out[j] += tap * src[at+(wLo+j)*s.StrideW]
						}
					}
				}
			}
		}
	})
}

// DepthwiseConv2DBackwardData is Conv2DBackwardData for a depthwise s: each
// input plane gathers from the m output planes of its filters, filter after
// filter and tap after tap.
func DepthwiseConv2DBackwardData[T Float](s ConvShape, w, dy, dx []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	ParallelFor(s.N*s.C, max(1, depthwiseGrain/hw), func(_, lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			n, c := plane/s.C, plane%s.C
			dst := dx[plane*hw : (plane+1)*hw]
			clear(dst)
			for m := 0; m < mult; m++ {
				k := c*mult + m
				src := dy[(n*s.K+k)*ohw : (n*s.K+k+1)*ohw]
				for r := 0; r < s.R; r++ {
					offH := r*s.DilationH - s.PadH
					hLo, hHi := validRange(offH, s.StrideH, s.H, oh)
					for sx := 0; sx < s.S; sx++ {
						offW := sx*s.DilationW - s.PadW
						wLo, wHi := validRange(offW, s.StrideW, s.W, ow)
						tap := w[k*rs+r*s.S+sx]
						for i := hLo; i < hHi; i++ {
							at := (i*s.StrideH+offH)*s.W + offW // input of (i, 0)
							g := src[i*ow+wLo : i*ow+wHi]
							if s.StrideW == 1 {
								out := dst[at+wLo : at+wHi]
								for j := range out {
									out[j] += tap * g[j]
								}
								continue
							}
							for j, v := range g {
								dst[at+(wLo+j)*s.StrideW] += tap * v
							}
						}
					}
				}
			}
		}
	})
}

// DepthwiseConv2DBackwardFilter is Conv2DBackwardFilter for a depthwise s:
// each tap's gradient is summed in float64 over the images and output
// positions in order.
func DepthwiseConv2DBackwardFilter[T Float](s ConvShape, x, dy, dw []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	ParallelFor(s.K*rs, max(1, depthwiseGrain/(s.N*ohw)), func(_, lo, hi int) {
		for e := lo; e < hi; e++ {
			k, r, sx := e/rs, e/s.S%s.R, e%s.S
			offH, offW := r*s.DilationH-s.PadH, sx*s.DilationW-s.PadW
			hLo, hHi := validRange(offH, s.StrideH, s.H, oh)
			wLo, wHi := validRange(offW, s.StrideW, s.W, ow)
			var sum float64
			for n := 0; n < s.N; n++ {
				src := x[(n*s.C+k/mult)*hw : (n*s.C+k/mult+1)*hw]
				g := dy[(n*s.K+k)*ohw : (n*s.K+k+1)*ohw]
				for i := hLo; i < hHi; i++ {
					at := (i*s.StrideH+offH)*s.W + offW // input of (i, 0)
					dy := g[i*ow+wLo : i*ow+wHi]
					if s.StrideW == 1 {
						in := src[at+wLo : at+wHi]
						for j, v := range dy {
							sum += float64(v) * float64(in[j])
						}
						continue
					}
					for j, v := range dy {
						sum += float64(v) * float64(src[at+(wLo+j)*s.StrideW])
					}
				}
			}
			dw[e] = T(sum)
		}
	})
}
