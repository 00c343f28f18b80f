// Twins of softmax_cross_entropy.go. Targets are class indices stored as floats
// (soft = 0) or n×classes probabilities (soft ≠ 0); weights is null or one
// weight per class; smoothing is ε. The host checks labels before upload, and
// a row with an invalid label gets a NaN loss here. Rows are evaluated in
// double with the log-sum-exp shift.
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

// ce_weight is CrossEntropyTarget.weight: w_c.
__device__ inline double ce_weight(const float* weights, int c) {
	return weights ? (double)weights[c] : 1.0;
}

// ce_soft_prob is CrossEntropyTarget.softProb: (1−ε)·t_ic + ε/classes.
__device__ inline double ce_soft_prob(const float* targets, float smoothing, int i, int c, int classes) {
	double eps = (double)smoothing;
	return (1 - eps) * (double)targets[(size_t)i * classes + c] + eps / (double)classes;
}

// ce_denominator is CrossEntropyTarget.denominator, summed in row order.
__device__ inline double ce_denominator(int n, int classes, const float* targets, int soft, const float* weights) {
	if (soft || !weights) return (double)n;
	double sum = 0;
	for (int i = 0; i < n; i++) {
		int k = class_index(targets[i], classes);
		if (k >= 0) sum += (double)weights[k];
	}
	return sum;
}

// ce_row_loss is CrossEntropyTarget.rowLoss; NaN for an invalid label.
__device__ inline double ce_row_loss(const float* row, int classes, const float* targets, int soft,
	const float* weights, float smoothing, int i, double shift, double logSum) {
	double loss = 0;
	if (soft) {
		for (int c = 0; c < classes; c++) {
			double q = ce_soft_prob(targets, smoothing, i, c, classes);
			if (q != 0) loss += ce_weight(weights, c) * q * (logSum + shift - (double)row[c]);
		}
		return loss;
	}
	double eps = (double)smoothing;
	int k = class_index(targets[i], classes);
	if (k < 0) return NAN;
	loss = ce_weight(weights, k) * (1 - eps) * (logSum + shift - (double)row[k]);
	if (eps != 0) {
		double base = eps / (double)classes;
		for (int c = 0; c < classes; c++) loss += ce_weight(weights, c) * base * (logSum + shift - (double)row[c]);
	}
	return loss;
}

// SoftmaxCrossEntropyForward writes the mean loss over the n rows to *loss; one
// block of REDUCE_THREADS threads.
KERNEL void SoftmaxCrossEntropyForward(int n, int classes, const float* logits, const float* targets, int soft,
	const float* weights, float smoothing, float* loss) {
	__shared__ double scratch[REDUCE_THREADS];
	double acc = 0;
	FOR_BLOCK(i, 0, n) {
		const float* row = logits + (size_t)i * classes;
		double shift, logSum;
		log_sum_exp(row, classes, &shift, &logSum);
		acc += ce_row_loss(row, classes, targets, soft, weights, smoothing, i, shift, logSum);
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) *loss = (float)(total / ce_denominator(n, classes, targets, soft, weights));
}

// SoftmaxCrossEntropyBackward: dlogits_ij = dloss·(s_i·softmax_ij − w_j·q_ij)/D,
// one thread per row (CrossEntropyTarget.rowGrad); dloss is a device scalar.
// Every thread sums the denominator and Σ_c w_c itself, in the same order.
KERNEL void SoftmaxCrossEntropyBackward(int n, int classes, const float* logits, const float* targets, int soft,
	const float* weights, float smoothing, const float* dloss, float* dlogits) {
	double scale = (double)*dloss / ce_denominator(n, classes, targets, soft, weights);
	double weightSum = 0;
	for (int c = 0; c < classes; c++) weightSum += ce_weight(weights, c);
	double eps = (double)smoothing, base = eps / (double)classes;
	FOR_EACH(i, n) {
		const float* row = logits + (size_t)i * classes;
		float* grad = dlogits + (size_t)i * classes;
		double shift, logSum;
		log_sum_exp(row, classes, &shift, &logSum);
		if (soft) {
			double mass = 0;
			for (int c = 0; c < classes; c++) mass += ce_weight(weights, c) * ce_soft_prob(targets, smoothing, i, c, classes);
			for (int j = 0; j < classes; j++)
				grad[j] = (float)(scale * (mass * exp((double)row[j] - shift - logSum) -
					ce_weight(weights, j) * ce_soft_prob(targets, smoothing, i, j, classes)));
			continue;
		}
		int k = class_index(targets[i], classes);
		double mass = base * weightSum;
		if (k >= 0) mass += ce_weight(weights, k) * (1 - eps);
		for (int j = 0; j < classes; j++)
			grad[j] = (float)(scale * (mass * exp((double)row[j] - shift - logSum) - ce_weight(weights, j) * base));
		if (k >= 0)
			grad[k] = (float)(scale * (mass * exp((double)row[k] - shift - logSum) - ce_weight(weights, k) * (base + 1 - eps)));
	}
}

// arg_max is argMax: the index of the first maximal value.
__device__ inline int arg_max(const float* row, int classes) {
	int best = 0;
	for (int j = 1; j < classes; j++)
		if (row[j] > row[best]) best = j;
	return best;
}

// CountCorrect writes to *correct the number of rows whose first maximal logit
// is at the target's class (for soft targets the first maximal probability);
// one block of REDUCE_THREADS threads.
KERNEL void CountCorrect(int n, int classes, const float* logits, const float* targets, int soft, int* correct) {
	__shared__ double scratch[REDUCE_THREADS];
	double hits = 0;
	FOR_BLOCK(i, 0, n) {
		int best = arg_max(logits + (size_t)i * classes, classes);
		int k = soft ? arg_max(targets + (size_t)i * classes, classes) : class_index(targets[i], classes);
		if (k == best) hits += 1;
	}
	double total = block_sum(hits, scratch);
	if (threadIdx.x == 0) *correct = (int)total;
}
