// Package kernels is Descent's kernel library: every numeric routine a compiled
// Program runs, written once in Go for the CPU. Each kernel family lives in its own
// file (gemm.go, conv.go, pool.go, batch_norm.go, ...) with a benchmark beside it;
// the CUDA twins with the same names and arguments live in the *.cu files.
//
// Kernels are generic over float32 and float64: training runs in float32, reference
// and gradient checks in float64. They take flat row-major slices and explicit
// shapes, never allocate in their hot loops, and split work across goroutines with
// a fixed partitioning (see ParallelFor), so a result never depends on GOMAXPROCS.
//
// The hottest loops also exist in AVX-512 assembly (*_amd64.s: the GEMM
// micro-kernels, the strided rows of im2col and col2im, ReLU, 2×2 max pooling),
// used when the CPU has the instructions; the Go loops run everywhere else and
// with the build tag noasm, and the tests run both.
package kernels

// Float is the element type of every kernel.
type Float interface{ ~float32 | ~float64 }
