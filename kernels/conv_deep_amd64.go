//go:build amd64 && !noasm

package kernels

//go:noescape
func deepIm2colRowsAVX512(dst *float32, dstImage int, dstRow int, src *float32, srcOff int, srcImage int, srcRow int, images int, rows int, lo int, hi int, loadMask int, storeMask int, perm *int32)

//go:noescape
func deepCol2imPlaneAVX512(dx *float32, h int, w int, dcol *float32, ow int, rowTaps *int, taps *deepTapRow)

// deepAsm reports whether deepIm2colRowsAVX512 and deepCol2imPlaneAVX512 can
// run: they use masked zmm moves and VPERMPS (AVX-512F) and SHLX (BMI2), which
// the row kernels' check covers.
func deepAsm() bool { return rowsAVX512 }
