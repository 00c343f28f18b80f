//go:build amd64 && !noasm

package kernels

//go:noescape
func deepIm2colRowsAVX512(dst *float32, dstImage int, dstRow int, src *float32, srcOff int, srcImage int, srcRow int, images int, rows int, lo int, hi int, loadMask int, storeMask int, perm *int32)

// deepAsm reports whether deepIm2colRowsAVX512 can run: it uses masked zmm
// moves and VPERMPS (AVX-512F), which the row kernels' check covers.
func deepAsm() bool { return rowsAVX512 }
