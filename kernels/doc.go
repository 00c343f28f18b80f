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
// The hottest float32 loops also exist in assembly (*_amd64.s: the GEMM
// micro-kernels in AVX-512 and AVX2, picked at run time; in AVX-512 the
// implicit-GEMM convolution tiles (conv_implicit*.go: 3×3-like filters read
// in place from a zero-padded, stride-phase-split copy of the image, without
// im2col; stride-2 images split into their phase planes a row at a time by
// permutes, and the stride-2 backward filter pass run on those planes,
// conv_implicit_split_amd64.s; conv_shift.go: small unpadded filters like LeNet's 5×5s, read in
// place from input rows shifted by each filter column, and their col2im
// summed in registers; conv_winograd.go: the three passes of 5-wide filters
// over 12-wide planes, LeNet's conv2, by Winograd's F(4, 5) and F(5, 4)
// along rows, their transforms GEMMs and their pointwise products in
// AVX-512 tiles), the strided rows of im2col and col2im (and the deep
// convolutions' im2col and col2im a row per vector, conv_deep_amd64.s), the
// packing of a transposed A into contiguous micro-panels, the depthwise convolution,
// activations (ReLU6 included), max pooling, the batch-norm row reductions
// with and without a fused ReLU, and the optimizers' update loops), used when
// the CPU has the instructions; the Go loops run everywhere else and with the
// build tag noasm, and the tests run both. Convolutions with many channels and
// few output pixels (conv_deep.go) run their backward passes over chunks of
// images as one GEMM split across the cores, so that the filter gradient is
// not summed from per-lane copies. Where a convolution's backward passes run
// image by image, Conv2DBackward (conv_backward.go) runs them together and
// takes hooks, so that the batch norm around it computes its input gradient
// and takes its sums image by image too (BatchNormDataImages,
// BatchNormImageSums), and a sum of gradients (a residual block's input)
// adds the convolution's while in cache (AddConvBackward,
// ReluBackwardSumConvBackward): activations of a batch of small images
// outgrow the caches, and every pass saved over them is a pass less from
// memory.
//
// Beside the layers' kernels are those of training itself: the losses
// (softmax cross-entropy with label smoothing, class weights and soft
// targets; mean squared error's Go loop lives with its op in graph/mse.go,
// its CUDA twin in mse.cu), the optimizers' updates (SGD … AdamW) with
// the rows of hyperparameters their fused CUDA kernels read (AdamHyper and
// the like; the decaying state is flushed to zero below the smallest normal
// number, since x86 CPUs take a microcode assist for every operation on a
// subnormal), the non-finite check and clipping (AllFinite, ClipScale), the
// EMA of the weights (EMAUpdate), and dropout's counter-based Philox4x32-10
// stream, which the CUDA twins reproduce bit for bit.
package kernels

// Float is the element type of every kernel.
type Float interface{ ~float32 | ~float64 }
