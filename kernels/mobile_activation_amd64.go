//go:build amd64 && !noasm

package kernels

// ReLU6 kernels in mobile_activation_amd64.s, which run where the ReLU ones do
// (activationAVX512).

//go:noescape
func relu6Forward32(x, y *float32, n int)

//go:noescape
func relu6Backward32(x, dy, dx *float32, n int)

// relu6ForwardAsm is Relu6Forward on one float32 chunk in assembly; it returns
// false when the CPU cannot run it.
func relu6ForwardAsm(x, y []float32) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) > 0 {
		_ = y[len(x)-1] // the assembly checks no bounds
		relu6Forward32(&x[0], &y[0], len(x))
	}
	return true
}

// relu6BackwardAsm is Relu6Backward on one float32 chunk in assembly; it
// returns false when the CPU cannot run it.
func relu6BackwardAsm(x, dy, dx []float32) bool {
	if !activationAVX512 {
		return false
	}
	if len(x) > 0 {
		_, _ = dy[len(x)-1], dx[len(x)-1] // the assembly checks no bounds
		relu6Backward32(&x[0], &dy[0], &dx[0], len(x))
	}
	return true
}
