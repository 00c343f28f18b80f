// descent.cuh — helpers shared by Descent's CUDA kernels (kernels/*.cu).
//
// Each kernel is the twin of a Go kernel of this package, with the same name and,
// as far as C allows, the same arguments: shapes first, then tensors, sizes as int.
// Arithmetic follows the Go code operation by operation: PTX is generated with
// -fmad=false (no contraction into fused multiply-adds) and IEEE division and
// square root, so element-wise kernels give the Go results bit for bit; sums
// run in double in a fixed tree order, so they are deterministic but ordered
// differently from the Go loops. No kernel uses float atomics.
//
// The same sources compile with g++ against kernels/cudaemu/cuda_emu.h, which
// runs grids on the CPU for the tests of package kernels/cudaemu.
#pragma once

#define KERNEL extern "C" __global__

// REDUCE_THREADS is the block size of every kernel that reduces with block_sum.
#define REDUCE_THREADS 256

// Index loops count in 64 bits. With one thread per element, as the host
// launches them, i + stride passes 2³¹ − 1 once n passes 2³⁰: a 32-bit
// counter would wrap negative, still compare below n, and the kernel would
// write out of bounds. Each index reached is below n, and the host refuses
// tensors of more than 2³¹ − 1 elements, so the body sees it as an int and
// its own arithmetic stays 32-bit (and fast). kernels/ptx's tests check the
// PTX for 32-bit counters.
#define FOR_STRIDE(i, start, end, stride) \
	for (long long i##_at = (start), i##_end = (end); i##_at < i##_end; i##_at += (stride)) \
		if (const int i = (int)i##_at; true)

// FOR_EACH visits [0, n) with a grid-stride loop.
#define FOR_EACH(i, n) \
	FOR_STRIDE(i, (long long)blockIdx.x * blockDim.x + threadIdx.x, n, (long long)blockDim.x * gridDim.x)

// FOR_BLOCK visits [lo, hi) with the REDUCE_THREADS threads of a block.
#define FOR_BLOCK(i, lo, hi) FOR_STRIDE(i, (long long)(lo) + threadIdx.x, hi, REDUCE_THREADS)

// Go's built-in max and min: NaN wins, and +0 > −0.
__device__ inline float go_max(float a, float b) {
	if (a != a) return a;
	if (b != b) return b;
	if (a > b) return a;
	if (b > a) return b;
	return signbit(a) ? b : a;
}

// flush_subnormal is optim.go's flushSubnormal: +0 for a subnormal or zero x.
__device__ inline float flush_subnormal(float x) {
	return (__float_as_uint(x) & 0x7f800000u) == 0 ? 0.0f : x;
}

__device__ inline float go_min(float a, float b) {
	if (a != a) return a;
	if (b != b) return b;
	if (a < b) return a;
	if (b < a) return b;
	return signbit(a) ? a : b;
}

// block_sum adds v over the REDUCE_THREADS threads of the block in a fixed tree
// order and returns the total to every thread; scratch holds REDUCE_THREADS
// doubles of shared memory.
__device__ inline double block_sum(double v, double* scratch) {
	scratch[threadIdx.x] = v;
	__syncthreads();
	for (int s = REDUCE_THREADS / 2; s > 0; s >>= 1) {
		if ((int)threadIdx.x < s) scratch[threadIdx.x] += scratch[threadIdx.x + s];
		__syncthreads();
	}
	double total = scratch[0];
	__syncthreads();
	return total;
}

// class_index is Go's classIndex: the label as a class in [0, classes), or −1.
__device__ inline int class_index(float label, int classes) {
	double f = (double)label;
	if (!(f >= 0 && f < (double)classes) || f != trunc(f)) return -1;
	return (int)f;
}
