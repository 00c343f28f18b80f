package kernels

// Splitting an image of stride 2 into its four stride-phase planes (see
// splitImage): every input row goes, by its parity, to the planes of one
// row phase, its even elements to one column phase and its odd ones to the
// other, so a row is read once and split with two permutes (deinterleaveRows)
// rather than gathered once per column phase. Its inverse, interleaveRows,
// writes the rows of dx from the two column phases of stride-phase backward
// data passes (interleavePhases).

// splitStride2 reports whether splitImage splits s's images by
// splitImageStride2: strides of 2 with both phases of rows and of columns.
func splitStride2(s ConvShape, l implicitLayout) bool {
	return s.StrideH == 2 && s.StrideW == 2 && l.pa == 2 && l.pb == 2
}

// splitImageStride2 copies image x into the planes of xs, whose padding is
// zero, for splitStride2 shapes: input row h is row (h + PadH)/2 of the
// planes of row phase (h + PadH) mod 2, and its element w column (w + PadW)/2
// of the plane of column phase (w + PadW) mod 2.
func splitImageStride2[T Float](s ConvShape, l implicitLayout, x, xs []T) {
	plane := l.hq * l.wq
	for c := 0; c < s.C; c++ {
		for parity := 0; parity < 2 && parity < s.H; parity++ {
			a := (parity + s.PadH) % 2
			row := ((c*2+a)*2*l.hq + (parity+s.PadH)/2) * l.wq
			even := row + (s.PadW%2)*plane + s.PadW/2        // w = 2j
			odd := row + ((s.PadW+1)%2)*plane + (s.PadW+1)/2 // w = 2j + 1
			deinterleaveRows(xs[even:], xs[odd:], l.wq, x[(c*s.H+parity)*s.W:], 2*s.W, (s.H-parity+1)/2, s.W)
		}
	}
}

// deinterleaveRows splits rows rows of n elements, srcStride apart in src,
// into their even elements, even[r·dstStride + j] = src[r·srcStride + 2j],
// and their odd ones, odd[r·dstStride + j] = src[r·srcStride + 2j + 1].
func deinterleaveRows[T Float](even, odd []T, dstStride int, src []T, srcStride int, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = even[(rows-1)*dstStride+(n+1)/2-1], src[(rows-1)*srcStride+n-1] // the assembly checks no bounds
	if n > 1 {
		_ = odd[(rows-1)*dstStride+n/2-1]
	}
	if deinterleaveRowsAsm(even, odd, dstStride, src, srcStride, rows, n) {
		return
	}
	for r := 0; r < rows; r++ {
		s := src[r*srcStride : r*srcStride+n]
		for j := 0; 2*j < n; j++ {
			even[r*dstStride+j] = s[2*j]
			if 2*j+1 < n {
				odd[r*dstStride+j] = s[2*j+1]
			}
		}
	}
}

// interleaveRows is deinterleaveRows' inverse: it writes rows rows of n
// elements, dstStride apart in dst, from their even elements, dst[r·dstStride
// + 2j] = even[r·evenStride + j], and their odd ones, dst[r·dstStride + 2j + 1]
// = odd[r·oddStride + j].
func interleaveRows[T Float](dst []T, dstStride int, even []T, evenStride int, odd []T, oddStride int, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_, _ = dst[(rows-1)*dstStride+n-1], even[(rows-1)*evenStride+(n+1)/2-1] // the assembly checks no bounds
	if n > 1 {
		_ = odd[(rows-1)*oddStride+n/2-1]
	}
	if interleaveRowsAsm(dst, dstStride, even, evenStride, odd, oddStride, rows, n) {
		return
	}
	for r := 0; r < rows; r++ {
		d := dst[r*dstStride : r*dstStride+n]
		for j := range d {
			if j%2 == 0 {
				d[j] = even[r*evenStride+j/2]
			} else {
				d[j] = odd[r*oddStride+j/2]
			}
		}
	}
}
