//go:build amd64 && !noasm

package kernels

//go:noescape
func shiftCol2imAVX512(col *float32, tapStride int, r int, s int, ow int, out *float32, w int)

// shiftAsm reports whether shiftCol2imAVX512 and copyRowBlocks32 can run:
// they use masked zmm loads, stores and adds (AVX-512F) and SHLX (BMI2).
var shiftAsm = rowsAVX512

//go:noescape
func copyRowBlocks32(dst *float32, dstRow int, dstBlock int, src *float32, srcRow int, srcBlock int, rows int, n int, blocks int)
