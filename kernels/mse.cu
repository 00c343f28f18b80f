// Twins of the mean squared error of graph/mse.go (mseKernel, mseGradKernel),
// which computes in double.
#include "descent.cuh"

// MeanSquaredError writes mean((prediction − target)²) over n elements to
// *loss; one block of REDUCE_THREADS threads.
KERNEL void MeanSquaredError(int n, const float* prediction, const float* target, float* loss) {
	__shared__ double scratch[REDUCE_THREADS];
	double acc = 0;
	FOR_BLOCK(i, 0, n) {
		double d = (double)prediction[i] - (double)target[i];
		acc += d * d;
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) *loss = (float)(total / (double)n);
}

// MeanSquaredErrorBackward: grad = 2·dloss/n·(prediction − target); dloss is a
// device scalar.
KERNEL void MeanSquaredErrorBackward(int n, const float* prediction, const float* target, const float* dloss,
	float* grad) {
	double scale = 2 * (double)*dloss / (double)n;
	FOR_EACH(i, n) grad[i] = (float)(scale * ((double)prediction[i] - (double)target[i]));
}
