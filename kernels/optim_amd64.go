//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Optimizer loops in optim_amd64.s, float32 only (training's type).

//go:noescape
func adam32(w, grad, m, v *float32, n int, shrink, l2, b1, keep1, b2, keep2, negStep, epsB float32)

//go:noescape
func maxExponent32(x *float32, n int) uint32

// optimAVX512 reports whether the assembly loops can run.
var optimAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// adamAsm is the Adam loop without AMSGrad in assembly; it returns false when
// it cannot run (no AVX-512, float64).
func adamAsm[T Float](w, g, m, v []T, shrink, l2, b1, keep1, b2, keep2, negStep, epsB T) bool {
	if !optimAVX512 || unsafe.Sizeof(T(0)) != 4 || len(w) == 0 {
		return false
	}
	_, _, _ = g[len(w)-1], m[len(w)-1], v[len(w)-1] // the assembly checks no bounds
	adam32(pointerAs[float32](w), pointerAs[float32](g), pointerAs[float32](m), pointerAs[float32](v), len(w),
		float32(shrink), float32(l2), float32(b1), float32(keep1), float32(b2), float32(keep2), float32(negStep), float32(epsB))
	return true
}

// allFiniteAsm reports whether x holds no NaN and no ±Inf, in assembly; ok is
// false when it cannot run (no AVX-512, float64).
func allFiniteAsm[T Float](x []T) (finite, ok bool) {
	if !optimAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) == 0 {
		return false, false
	}
	return maxExponent32(pointerAs[float32](x), len(x)) != 0x7f800000, true
}
