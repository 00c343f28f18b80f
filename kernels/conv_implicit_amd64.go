//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Implicit-GEMM micro-kernels in conv_implicit_amd64.s.

//go:noescape
func sconvKernelAVX512x48(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)

//go:noescape
func sconvKernelAVX512x32(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)

//go:noescape
func sconvKernelAVX512x16(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)

//go:noescape
func sconvHalfKernelAVX512x48(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)

//go:noescape
func sconvHalfKernelAVX512x32(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)

//go:noescape
func sconvHalfKernelAVX512x16(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)

// implicitDirect reports whether arch has micro-kernels that read B in place
// (implicitTile), rather than packed: the AVX-512 family, where the CPU also
// has VL for the half-row kernels' ymm loads into registers 16-31.
func implicitDirect[E float32 | float64](arch *gemmArch[E]) bool {
	a, ok := any(arch).(*gemmArch[float32])
	return ok && a == sgemmAVX512 && cpu.X86.HasAVX512VL
}

// implicitTile runs the micro-kernel of width columns that reads B in place,
// C = A·B + beta·C with column v·16 + j of B's row p at b[offsets[p] +
// at(v) + j], at(0) = 0, at(1) = v1, at(2) = v2 (16 and 32: one run), or
// with halves, column 8u + j at b[offsets[p] + u·v1 + j], for an arch with
// implicitDirect. (Direct calls, not a table of functions, keep the offsets
// on the caller's stack.)
func implicitTile[E float32 | float64](width int, halves bool, kc int, a *E, rsA int, offsets *int32, b *E, v1, v2 int, c *E, ldc int, beta E) {
	a32, b32, c32 := (*float32)(unsafe.Pointer(a)), (*float32)(unsafe.Pointer(b)), (*float32)(unsafe.Pointer(c))
	beta32 := *(*float32)(unsafe.Pointer(&beta))
	switch {
	case halves && width == 48:
		sconvHalfKernelAVX512x48(kc, a32, rsA, offsets, b32, v1, v2, c32, ldc, beta32)
	case halves && width == 32:
		sconvHalfKernelAVX512x32(kc, a32, rsA, offsets, b32, v1, v2, c32, ldc, beta32)
	case halves:
		sconvHalfKernelAVX512x16(kc, a32, rsA, offsets, b32, v1, v2, c32, ldc, beta32)
	case width == 48:
		sconvKernelAVX512x48(kc, a32, rsA, offsets, b32, v1, v2, c32, ldc, beta32)
	case width == 32:
		sconvKernelAVX512x32(kc, a32, rsA, offsets, b32, v1, v2, c32, ldc, beta32)
	default:
		sconvKernelAVX512x16(kc, a32, rsA, offsets, b32, v1, v2, c32, ldc, beta32)
	}
}

//go:noescape
func sconvFilterKernelAVX512(steps int, a *float32, lda int, b0 *float32, b1 *float32, b2 *float32, out *float32)

// filterReduceAsm reports whether sconvFilterKernelAVX512 can run: its sums
// use ymm and xmm forms of registers 16-31 (VL).
var filterReduceAsm = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// implicitFilterReduce adds one image's filter gradient to partial
// ([k][c][r][s]), or overwrites it when first. For 8 filters and 3 taps at a
// time, the kernel multiplies the filters' rows of dyext by the taps' runs of
// xs in vector lanes, 16 pixels a step, and sums the lanes at the end: every
// multiply-add uses a whole vector, however few the filters.
func implicitFilterReduce(s ConvShape, l implicitLayout, xs, dyext, partial []float32, first bool) {
	crs, rs := s.C*s.R*s.S, s.R*s.S
	run := roundUp(l.ext, 16) // dyext is zero past ext, up to l.cols
	var sums [24]float32
	var runs [3]*float32
	for k0 := 0; k0 < s.K; k0 += 8 {
		_ = dyext[(k0+7)*l.cols+run-1] // the kernel checks no bounds
		for q := 0; q < crs; q += 3 {
			taps := min(3, crs-q)
			for t := range runs {
				tap := q + min(t, taps-1) // a short last group repeats its last tap
				o := tapOffset(s, l, tap/rs, tap%rs/s.S, tap%s.S)
				_ = xs[o+run-1]
				runs[t] = &xs[o]
			}
			sconvFilterKernelAVX512(run/16, &dyext[k0*l.cols], l.cols, runs[0], runs[1], runs[2], &sums[0])
			storeFilterSums(partial, &sums, k0, min(8, s.K-k0), crs, q, taps, first)
		}
	}
}

//go:noescape
func sconvFilterTapsKernelAVX512(rows int, width int, skipA int, skipB int, a *float32, lda int, b *float32, c *float32, ldc int, ldt int)

// implicitFilterTaps adds one image's filter gradient to partial
// ([r][s][c][k]) from its input x and output gradients dy for filterTaps
// shapes: for each block of 16 filters, dy is transposed into dyT, 16 values
// an extended output pixel (zero in the columns past OutW, two zero pixels
// before the first and zeros past the last: what the caller cleared stays
// zero), and sconvFilterTapsKernelAVX512 multiplies 8 channels' rows of x by
// them, for a filter row's 3 taps at once, summing over all the image's
// pixels in registers. The padding, whose products are zero, is skipped, so
// x is read in place, not split into planes.
func implicitFilterTaps(s ConvShape, l implicitLayout, x, dy, dyT, partial []float32) {
	hw, oh := s.H*s.W, s.OutH()
	for kv := 0; kv < s.K; kv += 16 {
		block := filterTapsBlock(s, l, dy, dyT, kv)
		for r := 0; r < s.R; r++ {
			// Input rows r+i−PadH (those in the image) meet output rows i;
			// the first pixel of a row, at plane column PadW, meets output
			// pixel PadW−t of the row at tap t.
			lo, hi := max(0, s.PadH-r), min(oh, s.PadH+s.H-r)
			if lo >= hi {
				continue
			}
			first := lo*l.wq + s.PadW
			last := (hi-1)*l.wq + s.PadW + s.W - 1
			_ = block[16*(2+last)+15]
			for c0 := 0; c0 < s.C; c0 += 8 {
				a := (c0*s.H + r + lo - s.PadH) * s.W
				_ = x[a+7*hw+(hi-lo)*s.W-1]
				out := partial[(r*s.S*s.C+c0)*s.K+kv:]
				_ = out[(2*s.C+7)*s.K+15]
				sconvFilterTapsKernelAVX512(hi-lo, s.W, 0, l.wq-s.W, &x[a], hw, &block[16*(2+first)], &out[0], s.K, s.C*s.K)
			}
		}
	}
}

// filterTapsBlock transposes the output gradients dy of filters kv to kv+15
// into their block of dyT, 16 values an extended output pixel from the third
// row on (see implicitFilterTaps), and returns the block.
func filterTapsBlock(s ConvShape, l implicitLayout, dy, dyT []float32, kv int) []float32 {
	p, oh, ow := s.OutH()*s.OutW(), s.OutH(), s.OutW()
	rows := filterTapsRows(l)
	block := dyT[kv*rows : (kv+16)*rows]
	_ = dy[(kv+15)*p+p-1] // the kernels check no bounds
	_ = block[16*(2+(oh-1)*l.wq+ow)-1]
	if ow%16 == 0 {
		for i := 0; i < oh; i++ {
			sgemmTransposeAVX512(ow, &dy[kv*p+i*ow], p, &block[16*(2+i*l.wq)], 16)
		}
		return block
	}
	// Whole vectors of pixels in the compact scratch past the blocks, then rows.
	compact := dyT[s.K*rows : s.K*rows+16*p]
	sgemmTransposeAVX512(p, &dy[kv*p], p, &compact[0], 16)
	for i := 0; i < oh; i++ {
		copy(block[16*(2+i*l.wq):16*(2+i*l.wq+ow)], compact[16*i*ow:16*(i+1)*ow])
	}
	return block
}

//go:noescape
func sconvFilterPhasesKernelAVX512(steps int, a *float32, lda int, plane int, b *float32, c *float32, ldc int, ldt int)

// implicitFilterPhases adds one image's filter gradient to partial
// ([r][s][c][k]) from its stride-phase planes xs and output gradients dy
// for filterTaps shapes of stride 2: as implicitFilterTaps, but filter row
// r's taps read the planes of row phase r mod 2 from their row r/2 on, taps
// 0 and 2 the even columns' plane and tap 1 the odd ones', over the whole
// extended output (the planes' padding is zero, as are dyT's columns past
// OutW), for 8 channels and 16 filters at a time.
func implicitFilterPhases(s ConvShape, l implicitLayout, xs, dy, dyT, partial []float32) {
	plane, steps := l.hq*l.wq, l.ext
	lda := l.pa * l.pb * plane
	for kv := 0; kv < s.K; kv += 16 {
		block := filterTapsBlock(s, l, dy, dyT, kv)
		_ = block[16*(2+steps)-1]
		for r := 0; r < s.R; r++ {
			for c0 := 0; c0 < s.C; c0 += 8 {
				a := (c0*l.pa+r%2)*l.pb*plane + r/2*l.wq
				_ = xs[a+7*lda+plane+steps-1]
				out := partial[(r*s.S*s.C+c0)*s.K+kv:]
				_ = out[(2*s.C+7)*s.K+15]
				sconvFilterPhasesKernelAVX512(steps, &xs[a], lda, plane, &block[32], &out[0], s.K, s.C*s.K)
			}
		}
	}
}
