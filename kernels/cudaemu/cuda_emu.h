// cuda_emu.h — just enough of CUDA C++ to compile Descent's kernels (kernels/*.cu)
// with g++ and run their grids on the CPU, for the tests of package cudaemu.
//
// Blocks run one after another. Within a block each CUDA thread is a fiber
// (ucontext) with its own stack, and __syncthreads switches to the next fiber
// until every thread of the block has reached the barrier, so block-wide
// reductions in __shared__ memory (static locals here, one copy shared by the
// block's fibers) behave as on a GPU. Kernels that never reach a barrier run
// their threads as plain calls. Device intrinsics get their IEEE meaning.
#pragma once

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>

struct uint3 {
	unsigned int x, y, z;
};
typedef uint3 dim3;

extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __shared__ static
#define __forceinline__ inline

void __syncthreads();

using std::max;
using std::min;

inline unsigned int __float_as_uint(float f) {
	unsigned int u;
	memcpy(&u, &f, sizeof u);
	return u;
}

inline float __uint_as_float(unsigned int u) {
	float f;
	memcpy(&f, &u, sizeof f);
	return f;
}

inline unsigned int __umulhi(unsigned int a, unsigned int b) {
	return (unsigned int)(((unsigned long long)a * b) >> 32);
}

inline int atomicAdd(int* p, int v) {
	int old = *p;
	*p = v + old;
	return old;
}

inline float atomicAdd(float* p, float v) {
	float old = *p;
	*p = v + old;
	return old;
}
