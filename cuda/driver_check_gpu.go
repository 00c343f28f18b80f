//go:build gpu

package cuda

/*
#include <cuda.h>
#include <stdio.h>
#include <stdlib.h>

// descent_require_driver runs when the program is loaded, before Go's package
// initialization, where gorgonia.org/cu calls cuInit and, when it fails, ends
// the process with a line that names neither the CUDA error nor the build.
// This says both in one line instead. (Without libcuda.so.1 the program does
// not start at all: the loader says so, also in one line.)
__attribute__((constructor)) static void descent_require_driver(void) {
	CUresult r = cuInit(0);
	if (r == CUDA_SUCCESS) return;
	const char* name = 0;
	const char* text = 0;
	if (cuGetErrorName(r, &name) != CUDA_SUCCESS || name == 0) name = "CUDA_ERROR_UNKNOWN_CODE";
	if (cuGetErrorString(r, &text) != CUDA_SUCCESS || text == 0) text = "no description";
	fprintf(stderr, "descent: no usable CUDA driver: cuInit: %s (%d, %s); this program was built with -tags gpu and needs an NVIDIA GPU\n",
		name, (int)r, text);
	exit(1);
}
*/
import "C"
