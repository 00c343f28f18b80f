// Package launch describes how to run each CUDA kernel of kernels/*.cu: the
// grid, the block and the argument list (in cu's 8-byte slots) of every
// kernel, and the sequences of launches and cuBLAS GEMMs that make up a
// convolution. It is plain Go: the same descriptions drive the GPU (package
// cuda, build tag gpu) and the CPU emulation of the .cu sources (package
// kernels/cudaemu), so the emulation tests check the launch geometry and the
// argument packing as well as the kernel code.
//
// Every function is named after the kernel it launches, which is named after
// its Go twin in package kernels; tensors are device pointers (cuda.Ptr) to
// float32 data, NULL being cuda.Ptr(0).
package launch
