package launch

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
)

// Block is the block size of the element-wise kernels.
const Block = 256

// ReduceThreads is REDUCE_THREADS of descent.cuh: the block size of every
// kernel that reduces within a block.
const ReduceThreads = 256

// Queue runs launches and GEMMs in order: a cuda stream with its cuBLAS handle,
// or the CPU emulator.
type Queue interface {
	Launch(l cuda.Launch) error
	Gemm(g cuda.ColMajor, alpha, beta float32) error
}

// Device is a Queue with memory: the GPU runtime, or the CPU emulation of the
// .cu sources in tests.
type Device interface {
	Queue
	Alloc(bytes int64) (cuda.Ptr, error)
	Free(p cuda.Ptr) error
	Upload(dst cuda.Ptr, src []float32) error
	UploadBytes(dst cuda.Ptr, src []byte) error
	// Download waits for the queued work and copies len(dst) floats from src.
	Download(dst []float32, src cuda.Ptr) error
	// DownloadBytes waits for the queued work and copies len(dst) bytes from src.
	DownloadBytes(dst []byte, src cuda.Ptr) error
}

// Gemm queues the row-major GEMM of kernels.Gemm.
func Gemm(q Queue, transA, transB bool, m, n, k int, alpha float32, a cuda.Ptr, lda int, b cuda.Ptr, ldb int, beta float32, c cuda.Ptr, ldc int) error {
	return q.Gemm(cuda.RowMajorGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc), alpha, beta)
}

func p(x cuda.Ptr) cuda.Arg { return cuda.PtrArg(x) }
func i(v int) cuda.Arg      { return cuda.IntArg(v) }
func f(v float32) cuda.Arg  { return cuda.F32Arg(v) }

func elementwise(kernel string, n int, args ...cuda.Arg) cuda.Launch {
	return cuda.Linear(kernel, n, Block, args...)
}

// perChannel is one block of ReduceThreads threads per channel.
func perChannel(kernel string, c int, args ...cuda.Arg) cuda.Launch {
	return cuda.Launch{Kernel: kernel, Grid: cuda.Dim3{X: c}, Block: cuda.Dim3{X: ReduceThreads}, Args: args}
}

// oneBlock is a single block of ReduceThreads threads.
func oneBlock(kernel string, args ...cuda.Arg) cuda.Launch {
	return cuda.Launch{Kernel: kernel, Grid: cuda.Dim3{X: 1}, Block: cuda.Dim3{X: ReduceThreads}, Args: args}
}

// Element-wise kernels (elementwise.cu, activation.cu).

func Add(a, b, out cuda.Ptr, n int) cuda.Launch {
	return elementwise("Add", n, p(a), p(b), p(out), i(n))
}
func AddTo(dst, src cuda.Ptr, n int) cuda.Launch {
	return elementwise("AddTo", n, p(dst), p(src), i(n))
}
func Copy(dst, src cuda.Ptr, n int) cuda.Launch     { return elementwise("Copy", n, p(dst), p(src), i(n)) }
func Fill(x cuda.Ptr, v float32, n int) cuda.Launch { return elementwise("Fill", n, p(x), f(v), i(n)) }

func ReluForward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("ReluForward", n, p(x), p(y), i(n))
}
func ReluBackward(x, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("ReluBackward", n, p(x), p(dy), p(dx), i(n))
}
func LeakyReluForward(slope float32, x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("LeakyReluForward", n, f(slope), p(x), p(y), i(n))
}
func LeakyReluBackward(slope float32, x, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("LeakyReluBackward", n, f(slope), p(x), p(dy), p(dx), i(n))
}
func TanhForward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("TanhForward", n, p(x), p(y), i(n))
}
func TanhBackward(y, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("TanhBackward", n, p(y), p(dy), p(dx), i(n))
}
func SigmoidForward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("SigmoidForward", n, p(x), p(y), i(n))
}
func SigmoidBackward(y, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("SigmoidBackward", n, p(y), p(dy), p(dx), i(n))
}

// Reductions (elementwise.cu): the partial sums of chunks of ReduceChunk
// elements, then their total in double.

// ReduceChunk is the number of elements one block of ReduceChunks sums.
const ReduceChunk = 1 << 14

// Reduction selects what ReduceChunks adds up.
type Reduction int

const (
	Sum        Reduction = iota // Σx, kernels.Sum
	SumAbs                      // Σ|x|, kernels.SumAbs
	SumSquares                  // Σx², kernels.SumSquares
	NonFinite                   // Σ(x−x): 0 exactly when kernels.AllFinite
)

// ReducePartials is the number of doubles ReduceChunks writes for n elements
// (one block, writing 0, for n = 0).
func ReducePartials(n int) int { return max(1, kernels.Chunks(n, ReduceChunk)) }

func ReduceChunks(x cuda.Ptr, n int, op Reduction, partial cuda.Ptr) cuda.Launch {
	return cuda.Launch{Kernel: "ReduceChunks", Grid: cuda.Dim3{X: ReducePartials(n)}, Block: cuda.Dim3{X: ReduceThreads},
		Args: []cuda.Arg{p(x), i(n), i(ReduceChunk), i(int(op)), p(partial)}}
}
func ReduceTotal(partial cuda.Ptr, chunks int, total cuda.Ptr) cuda.Launch {
	return oneBlock("ReduceTotal", p(partial), i(chunks), p(total))
}

// Dropout (dropout.cu): seed points to the step's uint64 seed on the device,
// one thread per block of four elements.

func DropoutForward(seed cuda.Ptr, prob float32, x, y cuda.Ptr, n int) cuda.Launch {
	return cuda.Linear("DropoutForward", (n+3)/4, Block, p(seed), f(prob), p(x), p(y), i(n))
}
func DropoutBackward(seed cuda.Ptr, prob float32, dy, dx cuda.Ptr, n int) cuda.Launch {
	return cuda.Linear("DropoutBackward", (n+3)/4, Block, p(seed), f(prob), p(dy), p(dx), i(n))
}
