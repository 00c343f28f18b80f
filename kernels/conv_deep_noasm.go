//go:build !amd64 || noasm

package kernels

func deepAsm() bool { return false }

func deepIm2colRowsAVX512(dst *float32, dstImage int, dstRow int, src *float32, srcOff int, srcImage int, srcRow int, images int, rows int, lo int, hi int, loadMask int, storeMask int, perm *int32) {
	panic("kernels: no deep im2col rows without assembly")
}

func deepCol2imPlaneAVX512(dx *float32, h int, w int, dcol *float32, ow int, rowTaps *int, taps *deepTapRow) {
	panic("kernels: no deep col2im planes without assembly")
}
