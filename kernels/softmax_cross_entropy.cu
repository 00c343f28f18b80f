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

// ce_label is CrossEntropyTarget.label: row i's class index, −1 for soft
// targets and invalid labels.
__device__ inline int ce_label(const float* targets, int soft, int i, int classes) {
	return soft ? -1 : class_index(targets[i], classes);
}

// ce_prob is CrossEntropyTarget.prob: q_ic for row i with class index k.
__device__ inline double ce_prob(const float* targets, int soft, float smoothing, int i, int k, int c, int classes) {
	double eps = (double)smoothing;
	double q = eps / (double)classes;
	if (soft) q += (1 - eps) * (double)targets[(size_t)i * classes + c];
	else if (c == k) q += 1 - eps;
	return q;
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

// SoftmaxCrossEntropyForward writes the mean loss over the n rows to *loss; one
// block of REDUCE_THREADS threads.
KERNEL void SoftmaxCrossEntropyForward(int n, int classes, const float* logits, const float* targets, int soft,
	const float* weights, float smoothing, float* loss) {
	__shared__ double scratch[REDUCE_THREADS];
	double acc = 0;
	for (int i = threadIdx.x; i < n; i += REDUCE_THREADS) {
		const float* row = logits + (size_t)i * classes;
		double shift, logSum;
		log_sum_exp(row, classes, &shift, &logSum);
		int k = ce_label(targets, soft, i, classes);
		if (!soft && k < 0) {
			acc += NAN;
			continue;
		}
		for (int c = 0; c < classes; c++) {
			double q = ce_prob(targets, soft, smoothing, i, k, c, classes);
			if (q != 0) acc += ce_weight(weights, c) * q * (logSum + shift - (double)row[c]);
		}
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) *loss = (float)(total / ce_denominator(n, classes, targets, soft, weights));
}

// SoftmaxCrossEntropyBackward: dlogits_ij = dloss·(s_i·softmax_ij − w_j·q_ij)/D,
// one thread per row; dloss is a device scalar.
KERNEL void SoftmaxCrossEntropyBackward(int n, int classes, const float* logits, const float* targets, int soft,
	const float* weights, float smoothing, const float* dloss, float* dlogits) {
	double scale = (double)*dloss / ce_denominator(n, classes, targets, soft, weights);
	FOR_EACH(i, n) {
		const float* row = logits + (size_t)i * classes;
		float* grad = dlogits + (size_t)i * classes;
		double shift, logSum;
		log_sum_exp(row, classes, &shift, &logSum);
		int k = ce_label(targets, soft, i, classes);
		double mass = 0;
		for (int c = 0; c < classes; c++) mass += ce_weight(weights, c) * ce_prob(targets, soft, smoothing, i, k, c, classes);
		for (int j = 0; j < classes; j++)
			grad[j] = (float)(scale * (mass * exp((double)row[j] - shift - logSum) -
				ce_weight(weights, j) * ce_prob(targets, soft, smoothing, i, k, j, classes)));
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
	for (int i = threadIdx.x; i < n; i += REDUCE_THREADS) {
		int best = arg_max(logits + (size_t)i * classes, classes);
		int k = soft ? arg_max(targets + (size_t)i * classes, classes) : class_index(targets[i], classes);
		if (k == best) hits += 1;
	}
	double total = block_sum(hits, scratch);
	if (threadIdx.x == 0) *correct = (int)total;
}
