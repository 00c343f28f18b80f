// Command standins builds the CUDA test doubles (libcuda.so.1 and
// libcublas.so.12, see package cudaemu's BuildStandIns) for the `gpu` binaries
// given as arguments, so that they run on a machine without a GPU:
//
//	eval "$(bash scripts/fetch-cuda-headers.sh)"
//	go run ./kernels/cudaemu/standins -o DIR BINARY...
//	LD_LIBRARY_PATH=DIR DESCENT_CUBLAS=DIR/libcublas.so.12 BINARY
//
// Run it from the repository's root. cuda.h is found through CGO_CFLAGS.
//
// The libraries are package cudaemu's driver doubles (kernels/cudaemu/driver:
// libcuda.cpp, libcublas.cpp), libcuda.so.1 with every kernel of kernels/*.cu
// compiled in by g++; device memory is host memory, and any driver function the
// binaries import that the doubles lack aborts naming it. .ci/run and
// scripts/gpu-check.sh --local use them to run every gpu test binary here.
package main
