//go:build !amd64 || noasm

package kernels

const shiftAsm = false

func shiftCol2imAVX512(col *float32, tapStride int, r int, s int, ow int, out *float32, w int) {
	panic("kernels: no shift-plane col2im without assembly")
}

func sconvFilterKernelAVX512(steps int, a *float32, lda int, b0 *float32, b1 *float32, b2 *float32, out *float32) {
	panic("kernels: no reducing filter kernel without assembly")
}

func copyRowBlocks32(dst *float32, dstRow int, dstBlock int, src *float32, srcRow int, srcBlock int, rows int, n int, blocks int) {
	panic("kernels: no row block copies without assembly")
}
