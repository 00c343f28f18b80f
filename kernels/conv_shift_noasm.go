//go:build !amd64 || noasm

package kernels

const shiftCol2imAsm = false

func shiftCol2imAVX512(col *float32, tapStride int, r int, s int, ow int, out *float32, w int) {
	panic("kernels: no shift-plane col2im without assembly")
}

func sconvFilterKernelAVX512(steps int, a *float32, lda int, b0 *float32, b1 *float32, b2 *float32, out *float32) {
	panic("kernels: no reducing filter kernel without assembly")
}
