// Package cudaemu runs Descent's CUDA kernels (kernels/*.cu) on the CPU: it
// compiles them with g++ against cuda_emu.h, a small emulation of CUDA C++
// (thread and block indices, __shared__ memory, __syncthreads with a fiber
// per CUDA thread, intrinsics), into a driver program that serves allocation,
// copies, kernel launches and a column-major SGEMM in cuBLAS's terms.
//
// An Emulator satisfies launch.Queue, so the launch descriptions of package
// kernels/launch — the ones the GPU runs — drive it unchanged. Its tests compare
// every CUDA kernel with its Go twin of package kernels on random inputs, so
// the kernel code, its launch geometry and its argument packing are checked on
// every machine with a C++ compiler, GPU or not (and skipped, saying so,
// without g++). Built with -tags gpu, the same tests run the real kernels on
// GPU 0 instead (scripts/gpu-check.sh).
//
// BuildStandIns (and the command in standins/) builds the same kernels into
// CPU test doubles of libcuda.so.1 and cuBLAS (driver/libcuda.cpp,
// driver/libcublas.cpp), on which the `gpu` binaries themselves run without a
// GPU: the gpu build's cgo, streams, graphs and device backend execute in CI.
// DESCENT_CUDA_FAULT and DESCENT_CUBLAS_FAULT (function:ERROR[:n]) make the
// doubles fail a function, so tests reach the error paths of a real driver.
//
// The driver is built once per source version and cached under the user cache
// directory; memory handed out by Alloc starts filled with NaNs, as a GPU's
// memory holds garbage.
package cudaemu
