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
	masks := vectorLanes(min(t, 16)) | vectorLanes(max(0, t-16))<<16 | vectorLanes((t+1)/2)<<32 | vectorLanes(t/2)<<48
	deinterleaveRows32(pointerAs[float32](even), pointerAs[float32](odd), dstStride, pointerAs[float32](src), srcStride, rows, n/32, masks)
	return true
}

//go:noescape
func interleaveRows32(dst *float32, dstStride int, even *float32, evenStride int, odd *float32, oddStride int, rows int, chunks int, masks uint64)

// interleaveRowsAsm is interleaveRows in assembly, for float32; it returns
// false where it does not apply. The caller has checked the bounds.
func interleaveRowsAsm[T Float](dst []T, dstStride int, even []T, evenStride int, odd []T, oddStride int, rows, n int) bool {
	if !rowsAVX512 || unsafe.Sizeof(T(0)) != 4 {
		return false
	}
	t := n % 32
	masks := vectorLanes((t+1)/2) | vectorLanes(t/2)<<16 | vectorLanes(min(t, 16))<<32 | vectorLanes(max(0, t-16))<<48
	interleaveRows32(pointerAs[float32](dst), dstStride, pointerAs[float32](even), evenStride, pointerAs[float32](odd), oddStride, rows, n/32, masks)
	return true
}

// vectorLanes is the mask of a vector's first k lanes.
func vectorLanes(k int) uint64 { return 1<<k - 1 }
