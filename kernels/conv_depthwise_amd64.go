//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The depthwise planes of float32 (forward, data and filter gradients) run in
// conv_depthwise_amd64.s where the CPU has AVX-512 and the width stride is 1
// or 2 (every MobileNet and EfficientNet depthwise convolution); the tables
// built here tell the assembly which source elements each output lane adds.

//go:noescape
func depthwiseFilterPlane32(src *float32, rows *int, dy *float32, outRows, outRowBytes, tapRows, tapCols int, cols *depthwiseLanes, vectors, vectorBytes, mode int, sums *float64)

//go:noescape
func depthwiseFilter3x3Plane32(src *float32, rows *int, dy *float32, outRows, outRowBytes int, cols *depthwiseLanes, vectors, mode int, dy64, sums *float64)

//go:noescape
func depthwisePlane32(src *float32, rows *int, taps *float32, dst *float32, outRows, outRowBytes, tapRows, tapCols int, bias float32, cols *depthwiseLanes, vectors, mode int)

var depthwiseAVX512 = cpu.X86.HasAVX512F

// depthwiseLanes is, for one 16-lane output vector and one tap column, the
// byte offset of its first source element from the start of the tap's source
// row, the lanes the tap adds to, and the source elements loaded (the low and
// high 16 of 32 in mode depthwiseEvens). Each vector's table starts with an
// entry holding the vector's byte offset in the output row and its lanes.
type depthwiseLanes struct {
	offset              int
	add, load, loadHigh uint16
	_                   uint16
}

// How an output lane j finds its source column for a tap column at offset o:
// j + o, 2j + o, or (j + o)/2 where j + o is even.
const (
	depthwiseContiguous = iota
	depthwiseEvens
	depthwiseTwice
)

// depthwiseLaneTable builds the lane tables of outW output columns over
// source rows of inW elements for the tap columns at offsets, and a closing
// table with no lanes for the kernels that look a vector ahead.
func depthwiseLaneTable(outW, inW int, offsets []int, mode int) (table []depthwiseLanes, vectors int) {
	vectors = (outW + 15) / 16
	inside := func(c int) bool { return c >= 0 && c < inW }
	for v := range vectors + 1 {
		j0 := 16 * v
		var header depthwiseLanes
		header.offset = 4 * j0
		for q := range max(0, min(16, outW-j0)) {
			header.add |= 1 << q
		}
		table = append(table, header)
		for _, o := range offsets {
			var e depthwiseLanes
			for q := range max(0, min(16, outW-j0)) {
				j := j0 + q
				switch mode {
				case depthwiseContiguous:
					if inside(j + o) {
						e.add |= 1 << q
					}
				case depthwiseEvens:
					if inside(2*j + o) {
						e.add |= 1 << q
					}
				default:
					if (j+o)%2 == 0 && inside((j+o)/2) {
						e.add |= 1 << q
					}
				}
			}
			switch mode {
			case depthwiseContiguous:
				e.offset, e.load = 4*(j0+o), e.add
			case depthwiseEvens:
				first := 2*j0 + o
				e.offset = 4 * first
				for q := range 16 {
					if inside(first + q) {
						e.load |= 1 << q
					}
					if inside(first + 16 + q) {
						e.loadHigh |= 1 << q
					}
				}
			default:
				first := (j0 + o + 1) >> 1 // ⌈(j0 + o)/2⌉: lane q reads first + ⌊q/2⌋
				e.offset = 4 * first
				for p := range 8 {
					if inside(first + p) {
						e.load |= 1 << p
					}
				}
			}
			table = append(table, e)
		}
	}
	return table, vectors
}

// depthwiseAsm reports whether the assembly can run a depthwise s of T.
func depthwiseAsm[T Float](s ConvShape) bool {
	return depthwiseAVX512 && unsafe.Sizeof(T(0)) == 4 && s.StrideW <= 2
}

// depthwiseForwardTables are the tables of the forward planes (and of the
// filter gradient's): per output row, the byte offsets of the R input rows;
// per output vector, the lanes of each tap column.
func depthwiseForwardTables(s ConvShape) (rows []int, cols []depthwiseLanes, vectors, mode int) {
	oh, ow := s.OutH(), s.OutW()
	rows = make([]int, oh*s.R)
	for i := range oh {
		for r := range s.R {
			rows[i*s.R+r] = -1
			if ih := i*s.StrideH - s.PadH + r*s.DilationH; ih >= 0 && ih < s.H {
				rows[i*s.R+r] = 4 * ih * s.W
			}
		}
	}
	offsets := make([]int, s.S)
	for sx := range offsets {
		offsets[sx] = sx*s.DilationW - s.PadW
	}
	mode = depthwiseContiguous
	if s.StrideW == 2 {
		mode = depthwiseEvens
	}
	cols, vectors = depthwiseLaneTable(ow, s.W, offsets, mode)
	return rows, cols, vectors, mode
}

// depthwiseForwardAsm is DepthwiseConv2DForward in assembly; it returns false
// when it cannot run it.
func depthwiseForwardAsm[T Float](s ConvShape, x, w, bias, y []T) bool {
	if !depthwiseAsm[T](s) {
		return false
	}
	x32, w32, y32 := asFloat32(x), asFloat32(w), asFloat32(y)
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	rows, cols, vectors, mode := depthwiseForwardTables(s)
	ParallelFor(s.N*s.K, max(1, depthwiseGrain/ohw), func(_, lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			n, k := plane/s.K, plane%s.K
			b := float32(0)
			if bias != nil {
				b = float32(bias[k])
			}
			depthwisePlane32(&x32[(n*s.C+k/mult)*hw], &rows[0], &w32[k*rs], &y32[plane*ohw],
				oh, 4*ow, s.R, s.S, b, &cols[0], vectors, mode)
		}
	})
	return true
}

// depthwiseFilterAsm returns, where the assembly can run it, the function that
// adds filter k's products to its lane sums (DepthwiseConv2DBackwardFilter),
// and the length of the scratch it needs; nil elsewhere. The caller allocates
// the scratch once per task, not once per filter.
func depthwiseFilterAsm[T Float](s ConvShape, x, dy []T) (fn func(k int, sums, scratch []float64), scratch int) {
	if !depthwiseAsm[T](s) {
		return nil, 0
	}
	x32, dy32 := asFloat32(x), asFloat32(dy)
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, mult := s.H*s.W, oh*ow, s.K/s.C
	rows, cols, vectors, mode := depthwiseForwardTables(s)
	if s.R == 3 && s.S == 3 && s.PadW == 1 && s.DilationW == 1 {
		// dy64 is one output row of dy widened to float64.
		return func(k int, sums, dy64 []float64) {
			_, _ = sums[9*depthwiseLanesPerTap-1], dy64[vectors*depthwiseLanesPerTap-1] // the assembly checks no bounds
			for n := range s.N {
				depthwiseFilter3x3Plane32(&x32[(n*s.C+k/mult)*hw], &rows[0], &dy32[(n*s.K+k)*ohw], oh, 4*ow,
					&cols[0], vectors, mode, &dy64[0], &sums[0])
			}
		}, vectors * depthwiseLanesPerTap
	}
	return func(k int, sums, _ []float64) {
		_ = sums[s.R*s.S*depthwiseLanesPerTap-1] // the assembly checks no bounds
		for n := range s.N {
			depthwiseFilterPlane32(&x32[(n*s.C+k/mult)*hw], &rows[0], &dy32[(n*s.K+k)*ohw], oh, 4*ow, s.R, s.S,
				&cols[0], vectors, 16*(s.S+1), mode, &sums[0])
		}
	}, 0
}

// depthwiseBackwardDataAsm is DepthwiseConv2DBackwardData in assembly; it
// returns false when it cannot run it.
func depthwiseBackwardDataAsm[T Float](s ConvShape, w, dy, dx []T) bool {
	if !depthwiseAsm[T](s) {
		return false
	}
	w32, dy32, dx32 := asFloat32(w), asFloat32(dy), asFloat32(dx)
	oh, ow := s.OutH(), s.OutW()
	hw, ohw, rs, mult := s.H*s.W, oh*ow, s.R*s.S, s.K/s.C
	tapRows := mult * s.R
	rows := make([]int, s.H*tapRows)
	for h := range s.H {
		for t := range tapRows {
			m, r := t/s.R, t%s.R
			rows[h*tapRows+t] = -1
			if th := h + s.PadH - r*s.DilationH; th >= 0 && th%s.StrideH == 0 && th/s.StrideH < oh {
				rows[h*tapRows+t] = 4 * (m*ohw + th/s.StrideH*ow)
			}
		}
	}
	offsets := make([]int, s.S)
	for sx := range offsets {
		offsets[sx] = s.PadW - sx*s.DilationW
	}
	mode := depthwiseContiguous
	if s.StrideW == 2 {
		mode = depthwiseTwice
	}
	cols, vectors := depthwiseLaneTable(s.W, ow, offsets, mode)
	ParallelFor(s.N*s.C, max(1, depthwiseGrain/hw), func(_, lo, hi int) {
		for plane := lo; plane < hi; plane++ {
			n, c := plane/s.C, plane%s.C
			depthwisePlane32(&dy32[(n*s.K+c*mult)*ohw], &rows[0], &w32[c*mult*rs], &dx32[plane*hw],
				s.H, 4*s.W, tapRows, s.S, 0, &cols[0], vectors, mode)
		}
	})
	return true
}
