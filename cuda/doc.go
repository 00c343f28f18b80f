// Package cuda is Descent's device runtime: device and context choice, streams,
// events, a memory arena laid out by a Plan, PTX modules, kernel launches, CUDA
// graphs captured from a stream, and cuBLAS loaded at run time with dlopen.
//
// Runtime.StageUpload moves a batch to the device without holding up either
// side: the data goes through pinned host memory kept per destination, on a
// copy stream of its own that runs while the compute stream is still busy
// with the previous batch, and the compute stream waits for it (through events)
// only before the work queued after the call.
//
// The runtime is built only with the build tag gpu, over gorgonia.org/cu (the
// CUDA driver API) and a small cgo shim for what cu lacks: stream capture and
// graph launch, CUDA error names, and cuBLAS called through function pointers
// (the *_v2 entry points of the first libcublas.so.13, .12 or .11 of the host
// that creates a handle; DESCENT_CUBLAS names library files explicitly,
// separated by colons). Such a binary links against
// libcuda.so only, and cu's init exits the process on a machine without a GPU;
// a check that runs when the program loads, before cu's init, ends it first
// with one line naming the CUDA error (driver_check_gpu.go). The default build
// is the CPU build, where Open returns ErrNoGPU.
//
// The plain-Go part builds everywhere and is shared with the CPU emulation of
// the kernels (package kernels/cudaemu): device pointers (Ptr), launch
// geometry (Dim3, Launch), kernel arguments packed in the 8-byte slots that
// cu's Launch copies (Arg), arena layouts (Plan) and the mapping of row-major
// GEMMs onto column-major cuBLAS calls (ColMajor).
package cuda
