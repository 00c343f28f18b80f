//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// 2×2 max-pooling kernels in pool_amd64.s, float32 only (training's type).

//go:noescape
func maxPool2x2Forward32(x, y *float32, w, oh, ow int) (ok bool)

//go:noescape
func maxPool2x2Backward32(x, dy, dx *float32, w, oh, ow int) (ok bool)

// poolAVX512 reports whether the pooling kernels can run.
var poolAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// maxPool2x2ForwardAsm pools one plane in assembly. It returns false when it
// cannot (no AVX-512, float64, a NaN in the plane), leaving y to the Go loop.
func maxPool2x2ForwardAsm[T Float](w, oh, ow int, x, y []T) bool {
	if !poolAVX512 || unsafe.Sizeof(T(0)) != 4 {
		return false
	}
	_, _ = x[(2*oh-1)*w+2*ow-1], y[oh*ow-1] // the assembly checks no bounds
	return maxPool2x2Forward32(pointerAs[float32](x), pointerAs[float32](y), w, oh, ow)
}

// maxPool2x2BackwardAsm writes the gradient of the windows of one plane in
// assembly (columns and rows no window covers are left alone). It returns false
// when it cannot (no AVX-512, float64, a NaN in the plane).
func maxPool2x2BackwardAsm[T Float](w, oh, ow int, x, dy, dx []T) bool {
	if !poolAVX512 || unsafe.Sizeof(T(0)) != 4 {
		return false
	}
	_, _, _ = x[(2*oh-1)*w+2*ow-1], dx[(2*oh-1)*w+2*ow-1], dy[oh*ow-1] // the assembly checks no bounds
	return maxPool2x2Backward32(pointerAs[float32](x), pointerAs[float32](dy), pointerAs[float32](dx), w, oh, ow)
}

//go:noescape
func maxPoolWindowsPlane32(src *float32, rows *int, y *float32, idx *int32, outRows, outRowBytes, tapRows, tapCols int, cols *depthwiseLanes, vectors, mode int) (ok bool)

// maxPoolWindowsAsm returns, where the assembly can run s (AVX-512, float32,
// width stride 1 or 2), the function that pools one plane into y and, unless
// idx is nil, the winning taps r·KW + s into idx; it returns false when the
// plane holds a NaN. Elsewhere it returns nil.
func maxPoolWindowsAsm[T Float](s PoolShape) func(x, y []T, idx []int32) bool {
	if !poolAVX512 || !depthwiseAVX512 || unsafe.Sizeof(T(0)) != 4 || s.StrideW > 2 {
		return nil
	}
	// The windows are those of a depthwise convolution of the same geometry.
	rows, cols, vectors, mode := depthwiseForwardTables(ConvShape{N: s.N, C: s.C, H: s.H, W: s.W, K: s.C, R: s.KH, S: s.KW,
		StrideH: s.StrideH, StrideW: s.StrideW, PadH: s.PadH, PadW: s.PadW, DilationH: 1, DilationW: 1, Groups: s.C})
	oh, ow := s.OutH(), s.OutW()
	return func(x, y []T, idx []int32) bool {
		_, _ = x[s.H*s.W-1], y[oh*ow-1] // the assembly checks no bounds
		var at *int32
		if idx != nil {
			_ = idx[oh*ow-1]
			at = &idx[0]
		}
		return maxPoolWindowsPlane32(pointerAs[float32](x), &rows[0], pointerAs[float32](y), at, oh, 4*ow, s.KH, s.KW, &cols[0], vectors, mode)
	}
}
