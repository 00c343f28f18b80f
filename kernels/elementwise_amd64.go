//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Element-wise sums in elementwise_amd64.s, float32 only (training's type).

//go:noescape
func add32(a, b, out *float32, n int)

//go:noescape
func reluBackwardSum32(y, a, b, dx *float32, n int)

// elementwiseAVX512 reports whether the assembly sums can run (AVX-512 with
// SHLX for the tail masks).
var elementwiseAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// addAsm is addRow in assembly; it returns false when it cannot run (no
// AVX-512, float64).
func addAsm[T Float](a, b, out []T) bool {
	if !elementwiseAVX512 || unsafe.Sizeof(T(0)) != 4 {
		return false
	}
	if len(out) == 0 {
		return true
	}
	_, _ = a[len(out)-1], b[len(out)-1] // the assembly checks no bounds
	add32(pointerAs[float32](a), pointerAs[float32](b), pointerAs[float32](out), len(out))
	return true
}

// reluBackwardSumAsm is reluBackwardSumRow in assembly; it returns false
// when it cannot run (no AVX-512, float64).
func reluBackwardSumAsm[T Float](y, a, b, dx []T) bool {
	if !elementwiseAVX512 || unsafe.Sizeof(T(0)) != 4 {
		return false
	}
	if len(dx) == 0 {
		return true
	}
	_, _, _ = y[len(dx)-1], a[len(dx)-1], b[len(dx)-1] // the assembly checks no bounds
	reluBackwardSum32(pointerAs[float32](y), pointerAs[float32](a), pointerAs[float32](b), pointerAs[float32](dx), len(dx))
	return true
}
