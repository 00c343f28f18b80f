//go:build !amd64 || noasm

package kernels

// Without the assembly pooling kernels, 2×2 max pooling runs its Go loops.

func maxPool2x2ForwardAsm[T Float](w, oh, ow int, x, y []T) bool { return false }

func maxPool2x2BackwardAsm[T Float](w, oh, ow int, x, dy, dx []T) bool { return false }

func maxPoolWindowsAsm[T Float](s PoolShape) func(x, y []T, idx []int32) bool { return nil }
