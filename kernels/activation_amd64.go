//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// ReLU kernels in activation_amd64.s.

//go:noescape
func reluForward32(x, y *float32, n int)

//go:noescape
func reluForward64(x, y *float64, n int)

//go:noescape
func reluBackward32(x, dy, dx *float32, n int)

//go:noescape
func reluBackward64(x, dy, dx *float64, n int)

// activationAVX512 reports whether the assembly activations can run (AVX-512
// with SHLX for the tail masks).
var activationAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// reluForwardAsm is ReluForward on one chunk in assembly; it returns false when
// the CPU cannot run it.
func reluForwardAsm[T Float](x, y []T) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) == 0 {
		return true
	}
	_ = y[len(x)-1] // the assembly checks no bounds
	if unsafe.Sizeof(T(0)) == 4 {
		reluForward32(pointerAs[float32](x), pointerAs[float32](y), len(x))
	} else {
		reluForward64(pointerAs[float64](x), pointerAs[float64](y), len(x))
	}
	return true
}

// reluBackwardAsm is ReluBackward on one chunk in assembly; it returns false
// when the CPU cannot run it.
func reluBackwardAsm[T Float](x, dy, dx []T) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) == 0 {
		return true
	}
	_, _ = dy[len(x)-1], dx[len(x)-1] // the assembly checks no bounds
	if unsafe.Sizeof(T(0)) == 4 {
		reluBackward32(pointerAs[float32](x), pointerAs[float32](dy), pointerAs[float32](dx), len(x))
	} else {
		reluBackward64(pointerAs[float64](x), pointerAs[float64](dy), pointerAs[float64](dx), len(x))
	}
	return true
}

// pointerAs is the address of x's first element as a *E, E having T's layout.
func pointerAs[E float32 | float64 | uint32, T Float](x []T) *E {
	return (*E)(unsafe.Pointer(unsafe.SliceData(x)))
}

//go:noescape
func sigmoidForward32(x, y *float32, n int)

//go:noescape
func tanhForward32(x, y *float32, n int)

//go:noescape
func leakyReluBackward32(slope float32, x, dy, dx *float32, n int)

// sigmoidForwardAsm is SigmoidForward on one float32 chunk in assembly; it
// returns false when the CPU cannot run it.
func sigmoidForwardAsm(x, y []float32) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) > 0 {
		_ = y[len(x)-1] // the assembly checks no bounds
		sigmoidForward32(&x[0], &y[0], len(x))
	}
	return true
}

// tanhForwardAsm is TanhForward on one float32 chunk in assembly; it returns
// false when the CPU cannot run it.
func tanhForwardAsm(x, y []float32) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) > 0 {
		_ = y[len(x)-1] // the assembly checks no bounds
		tanhForward32(&x[0], &y[0], len(x))
	}
	return true
}

// leakyReluBackwardAsm is LeakyReluBackward on one float32 chunk in assembly;
// it returns false when the CPU cannot run it.
func leakyReluBackwardAsm(slope float32, x, dy, dx []float32) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) > 0 {
		_, _ = dy[len(x)-1], dx[len(x)-1] // the assembly checks no bounds
		leakyReluBackward32(slope, &x[0], &dy[0], &dx[0], len(x))
	}
	return true
}
