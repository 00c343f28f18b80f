// Twins of softmax_cross_entropy.go. Labels are class indices stored as floats;
// the host checks them before upload, and a row with an invalid label gets a
// NaN loss here. Rows are evaluated in double with the log-sum-exp shift.
#include "descent.cuh"

// log_sum_exp is logSumExp: the row's maximum and log Σ exp(v − maximum).
__device__ inline void log_sum_exp(const float* row, int classes, double* shift, double* logSum) {
	float m = row[0];
	for (int j = 1; j < classes; j++) m = go_max(m, row[j]);
	double sum = 0;
	for (int j = 0; j < classes; j++) sum += exp((double)row[j] - (double)m);
	*shift = (double)m;
	*logSum = log(sum);
}

// SoftmaxCrossEntropyForward writes the mean loss over the n rows to *loss; one
// block of REDUCE_THREADS threads.
KERNEL void SoftmaxCrossEntropyForward(int n, int classes, const float* logits, const float* labels, float* loss) {
	__shared__ double scratch[REDUCE_THREADS];
	double acc = 0;
	FOR_BLOCK(i, 0, n) {
		const float* row = logits + (size_t)i * classes;
		double shift, logSum;
		log_sum_exp(row, classes, &shift, &logSum);
		int k = class_index(labels[i], classes);
		acc += k < 0 ? NAN : logSum + shift - (double)row[k];
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) *loss = (float)(total / (double)n);
}

// SoftmaxCrossEntropyBackward: dlogits = dloss·(softmax − onehot)/n, one thread
// per row; dloss is a device scalar.
KERNEL void SoftmaxCrossEntropyBackward(int n, int classes, const float* logits, const float* labels,
	const float* dloss, float* dlogits) {
	double scale = (double)*dloss / (double)n;
	FOR_EACH(i, n) {
		const float* row = logits + (size_t)i * classes;
		float* grad = dlogits + (size_t)i * classes;
		double shift, logSum;
		log_sum_exp(row, classes, &shift, &logSum);
		for (int j = 0; j < classes; j++) grad[j] = (float)(scale * exp((double)row[j] - shift - logSum));
		int k = class_index(labels[i], classes);
		if (k >= 0) grad[k] = (float)(scale * (exp((double)row[k] - shift - logSum) - 1));
	}
}

// CountCorrect writes to *correct the number of rows whose first maximal logit
// is at the label's class; one block of REDUCE_THREADS threads.
KERNEL void CountCorrect(int n, int classes, const float* logits, const float* labels, int* correct) {
	__shared__ double scratch[REDUCE_THREADS];
	double hits = 0;
	FOR_BLOCK(i, 0, n) {
		const float* row = logits + (size_t)i * classes;
		int best = 0;
		for (int j = 1; j < classes; j++)
			if (row[j] > row[best]) best = j;
		if (class_index(labels[i], classes) == best) hits += 1;
	}
	double total = block_sum(hits, scratch);
	if (threadIdx.x == 0) *correct = (int)total;
}
