package kernels

// Depthwise convolutions (Groups = C, K = m·C: filter k sees input channel
// k/m) run directly, planes (or filters) dealt to the tasks: with one input
// channel per filter a GEMM would have a single row of C·R·S = R·S taps and
// waste the micro-kernels. The loops go row by row, and within a row visit
// the taps (r, s) in order, so that the CUDA twins (conv_depthwise.cu), which
// compute one element per thread, add the same products in the same order.

// depthwiseGrain is the number of elements per parallel task.
const depthwiseGrain = 1 << 12

// DepthwiseConv2DForward is Conv2DForward for a depthwise s. It works row by
// row, so that an output row stays in the L1 cache while the taps add to it.
func DepthwiseConv2DForward[T Float](s ConvShape, x, w, bias, y []T) {
	if depthwiseForwardAsm(s, x, w, bias, y) {
		return
	}
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	cols := depthwiseColumns(s)
	ParallelFor(s.N*s.K, max(1, depthwiseGrain/ohw), func(_, lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			n, k := plane/s.K, plane%s.K
			src := x[(n*s.C+k/mult)*hw : (n*s.C+k/mult+1)*hw]
			b := T(0)
			if bias != nil {
				b = bias[k]
			}
			for i := range oh {
				out := y[plane*ohw+i*ow : plane*ohw+(i+1)*ow]
				fill(out, b)
				for r := range s.R {
					ih := i*s.StrideH + r*s.DilationH - s.PadH
					if ih < 0 || ih >= s.H {
						continue
					}
					row := src[ih*s.W : (ih+1)*s.W]
					for sx, c := range cols {
						tap := w[k*rs+r*s.S+sx]
						if s.StrideW == 1 {
							in, o := row[c.lo+c.off:c.hi+c.off], out[c.lo:c.hi]
							for j := range o {
								o[j] += tap * in[j]
							}
							continue
						}
						for j := c.lo; j < c.hi; j++ {
							out[j] += tap * row[j*s.StrideW+c.off]
						}
					}
				}
			}
		}
	})
}

// depthwiseColumn is, for one filter column s, the input column offset
// s·DilationW − PadW and the output columns [lo, hi) whose input lies inside.
type depthwiseColumn struct{ off, lo, hi int }

func depthwiseColumns(s ConvShape) []depthwiseColumn {
	cols := make([]depthwiseColumn, s.S)
	for sx := range cols {
		off := sx*s.DilationW - s.PadW
		lo, hi := validRange(off, s.StrideW, s.W, s.OutW())
		cols[sx] = depthwiseColumn{off, lo, hi}
	}
	return cols
}

// DepthwiseConv2DBackwardData is Conv2DBackwardData for a depthwise s: each
// input row gathers from the output rows of the m filters of its channel,
// filter after filter and tap after tap.
func DepthwiseConv2DBackwardData[T Float](s ConvShape, w, dy, dx []T) {
	if depthwiseBackwardDataAsm(s, w, dy, dx) {
		return
	}
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	cols := depthwiseColumns(s)
	ParallelFor(s.N*s.C, max(1, depthwiseGrain/hw), func(_, lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			n, c := plane/s.C, plane%s.C
			for h := range s.H {
				out := dx[plane*hw+h*s.W : plane*hw+(h+1)*s.W]
				clear(out)
				for m := range mult {
					k := c*mult + m
					g := dy[(n*s.K+k)*ohw : (n*s.K+k+1)*ohw]
					for r := range s.R {
						th := h + s.PadH - r*s.DilationH
						if th < 0 || th%s.StrideH != 0 || th/s.StrideH >= oh {
							continue
						}
						grow := g[th/s.StrideH*ow : (th/s.StrideH+1)*ow]
						for sx, col := range cols {
							tap := w[k*rs+r*s.S+sx]
							if s.StrideW == 1 {
								o, in := out[col.lo+col.off:col.hi+col.off], grow[col.lo:col.hi]
								for j := range o {
									o[j] += tap * in[j]
								}
								continue
							}
							for j := col.lo; j < col.hi; j++ {
								out[j*s.StrideW+col.off] += tap * grow[j]
							}
						}
					}
				}
			}
		}
	})
}

// depthwiseLanesPerTap is the number of partial sums of each tap of the filter
// gradient: output column j adds to sum j mod 16, as a 16-lane vector would.
const depthwiseLanesPerTap = 16

// DepthwiseConv2DBackwardFilter is Conv2DBackwardFilter for a depthwise s:
// each tap's gradient is summed in float64 over the images and output
// positions in order, in 16 partial sums by output column (the lanes of the
// assembly, depthwiseFilterAsm, which gives the same sums) added up last; one
// pass over a filter's planes serves all its taps.
func DepthwiseConv2DBackwardFilter[T Float](s ConvShape, x, dy, dw []T) {
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	cols := depthwiseColumns(s)
	asm, scratch := depthwiseFilterAsm(s, x, dy)
	ParallelFor(s.K, max(1, depthwiseGrain/(s.N*ohw*rs)), func(_, lo, hi int) {
		work := make([]float64, rs*depthwiseLanesPerTap+scratch)
		sums, asmScratch := work[:rs*depthwiseLanesPerTap], work[rs*depthwiseLanesPerTap:]
		for k := lo; k < hi; k++ {
			clear(sums)
			if asm != nil {
				asm(k, sums, asmScratch)
			} else {
				for n := range s.N {
					src := x[(n*s.C+k/mult)*hw : (n*s.C+k/mult+1)*hw]
					g := dy[(n*s.K+k)*ohw : (n*s.K+k+1)*ohw]
					for i := range oh {
						grow := g[i*ow : (i+1)*ow]
						for r := range s.R {
							ih := i*s.StrideH + r*s.DilationH - s.PadH
							if ih < 0 || ih >= s.H {
								continue
							}
							row := src[ih*s.W : (ih+1)*s.W]
							for sx, c := range cols {
								lanes := (*[depthwiseLanesPerTap]float64)(sums[(r*s.S+sx)*depthwiseLanesPerTap:])
								for j := c.lo; j < c.hi; j++ {
									lanes[j%depthwiseLanesPerTap] += float64(grow[j]) * float64(row[j*s.StrideW+c.off])
								}
							}
						}
					}
				}
			}
			for t := range rs {
				total := 0.0
				for _, v := range sums[t*depthwiseLanesPerTap : (t+1)*depthwiseLanesPerTap] {
					total += v
				}
				dw[k*rs+t] = T(total)
			}
		}
	})
}
