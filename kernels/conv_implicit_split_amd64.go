//go:build amd64 && !noasm

package kernels

import "unsafe"

//go:noescape
func deinterleaveRows32(even *float32, odd *float32, dstStride int, src *float32, srcStride int, rows int, chunks int, masks uint64)

// deinterleaveRowsAsm is deinterleaveRows in assembly, for float32; it
// returns false where it does not apply. The caller has checked the bounds.
func deinterleaveRowsAsm[T Float](even, odd []T, dstStride int, src []T, srcStride int, rows, n int) bool {
	if !rowsAVX512 || unsafe.Sizeof(T(0)) != 4 {
		return false
	}
	t := n % 32
	lanes := func(k int) uint64 { return 1<<k - 1 }
	masks := lanes(min(t, 16)) | lanes(max(0, t-16))<<16 | lanes((t+1)/2)<<32 | lanes(t/2)<<48
	deinterleaveRows32(pointerAs[float32](even), pointerAs[float32](odd), dstStride, pointerAs[float32](src), srcStride, rows, n/32, masks)
	return true
}
