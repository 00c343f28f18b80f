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
