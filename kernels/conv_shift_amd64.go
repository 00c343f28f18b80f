//go:build amd64 && !noasm

package kernels

//go:noescape
func shiftCol2imAVX512(col *float32, tapStride int, r int, s int, ow int, out *float32, w int)

// shiftCol2imAsm reports whether shiftCol2imAVX512 can run: it uses masked
// adds with memory operands (AVX-512F) and SHLX (BMI2).
var shiftCol2imAsm = rowsAVX512
