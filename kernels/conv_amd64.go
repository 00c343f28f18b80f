//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Strided row kernels in conv_amd64.s (see there); strides and n count elements.

//go:noescape
func copyRows32(dst *uint32, dstStride int, src *uint32, srcStride int, rows int, n int)

//go:noescape
func addRows32(dst *float32, dstStride int, src *float32, srcStride int, rows int, n int)

//go:noescape
func gatherRows2x32(dst *float32, dstStride int, src *float32, srcStride int, rows int, chunks int, tail int)

//go:noescape
func scatterAddRows2x32(dst *float32, dstStride int, src *float32, srcStride int, rows int, chunks int, tail int)

//go:noescape
func addRows64(dst *float64, dstStride int, src *float64, srcStride int, rows int, n int)

// rowsAVX512 reports whether the row kernels can run: they use AVX-512 with
// masked ymm registers (VL) and SHLX (BMI2).
var rowsAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasBMI2

// copyRowsAsm is copyRows in assembly; it returns false when the CPU cannot
// run it. The caller has checked the bounds.
func copyRowsAsm[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	if !rowsAVX512 {
		return false
	}
	words := int(unsafe.Sizeof(T(0)) / 4) // 32-bit words per element
	copyRows32(pointerAs[uint32](dst), dstStride*words, pointerAs[uint32](src), srcStride*words, rows, n*words)
	return true
}

// addRowsAsm is addRows in assembly; it returns false when the CPU cannot run
// it. The caller has checked the bounds.
func addRowsAsm[T Float](dst []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	if !rowsAVX512 {
		return false
	}
	if unsafe.Sizeof(T(0)) == 4 {
		addRows32(pointerAs[float32](dst), dstStride, pointerAs[float32](src), srcStride, rows, n)
	} else {
		addRows64(pointerAs[float64](dst), dstStride, pointerAs[float64](src), srcStride, rows, n)
	}
	return true
}

// stridedRowsAsm is gatherRows (dst packed) or scatterAddRows (dst strided) in
// assembly, for float32 and step 2; it returns false where it does not apply.
// The caller has checked the bounds.
func stridedRowsAsm[T Float](scatter bool, dst []T, dstStride int, src []T, srcStride int, rows, n, step int) bool {
	if !rowsAVX512 || unsafe.Sizeof(T(0)) != 4 || step != 2 {
		return false
	}
	tail := 0
	if t := n % 8; t > 0 {
		tail = 0x5555 & (1<<(2*t-1) - 1)
	}
	if scatter {
		scatterAddRows2x32(pointerAs[float32](dst), dstStride, pointerAs[float32](src), srcStride, rows, n/8, tail)
	} else {
		gatherRows2x32(pointerAs[float32](dst), dstStride, pointerAs[float32](src), srcStride, rows, n/8, tail)
	}
	return true
}
