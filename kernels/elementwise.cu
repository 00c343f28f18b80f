// Twins of elementwise.go and of the reductions of optim.go.
#include "descent.cuh"

KERNEL void Add(const float* a, const float* b, float* out, int n) {
	FOR_EACH(i, n) out[i] = a[i] + b[i];
}

KERNEL void AddTo(float* dst, const float* src, int n) {
	FOR_EACH(i, n) dst[i] += src[i];
}

// Copy is Buffer.CopyFrom (copy, flatten and reshape steps).
KERNEL void Copy(const float* src, float* dst, int n) {
	FOR_EACH(i, n) dst[i] = src[i];
}

KERNEL void Fill(float* x, float v, int n) {
	FOR_EACH(i, n) x[i] = v;
}

// Reduction ops of ReduceChunks: the twins of Sum, SumAbs, SumSquares and
// AllFinite (whose total is 0 exactly when every element is finite).
#define REDUCE_SUM 0
#define REDUCE_SUM_ABS 1
#define REDUCE_SUM_SQUARES 2
#define REDUCE_NONFINITE 3

// ReduceChunks reduces x in chunks of chunk elements, one block of
// REDUCE_THREADS threads per chunk, in double, into partial[block].
KERNEL void ReduceChunks(const float* x, int n, int chunk, int op, double* partial) {
	__shared__ double scratch[REDUCE_THREADS];
	long long lo = (long long)blockIdx.x * chunk;
	double acc = 0;
	FOR_BLOCK(i, lo, min((long long)n, lo + chunk)) {
		double v = (double)x[i];
		switch (op) {
		case REDUCE_SUM_ABS: acc += fabs(v); break;
		case REDUCE_SUM_SQUARES: acc += v * v; break;
		case REDUCE_NONFINITE: acc += (double)(x[i] - x[i]); break;
		default: acc += v;
		}
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// ReduceTotal adds the chunks' partial sums in one block into *total.
KERNEL void ReduceTotal(const double* partial, int chunks, double* total) {
	__shared__ double scratch[REDUCE_THREADS];
	double acc = 0;
	FOR_BLOCK(i, 0, chunks) acc += partial[i];
	double t = block_sum(acc, scratch);
	if (threadIdx.x == 0) *total = t;
}
