// Twins of batch_norm.go and batch_norm_stats.go. Tensors are viewed as N×C×L;
// the per-channel kernels run one block of REDUCE_THREADS threads per channel.
#include "descent.cuh"

// channel_at is the index of element e (in [0, n·l)) of channel ch.
__device__ inline size_t channel_at(int c, int l, int ch, int e) {
	return ((size_t)(e / l) * c + ch) * l + e % l;
}

KERNEL void BatchNormStats(int n, int c, int l, const float* x, float* mean, float* variance) {
	__shared__ double scratch[REDUCE_THREADS];
	int ch = blockIdx.x, m = n * l;
	double sum = 0;
	FOR_BLOCK(e, 0, m) sum += (double)x[channel_at(c, l, ch, e)];
	double mu = block_sum(sum, scratch) / (double)m;
	double sq = 0;
	FOR_BLOCK(e, 0, m) {
		double d = (double)x[channel_at(c, l, ch, e)] - mu;
		sq += d * d;
	}
	double var = block_sum(sq, scratch) / (double)m;
	if (threadIdx.x == 0) {
		mean[ch] = (float)mu;
		variance[ch] = (float)var;
	}
}

KERNEL void BatchNormUpdateRunning(int count, float momentum, const float* mean, const float* variance,
	float* runMean, float* runVar, int c) {
	float unbias = count > 1 ? (float)((double)count / (double)(count - 1)) : 1.0f;
	FOR_EACH(ch, c) {
		runMean[ch] = (1.0f - momentum) * runMean[ch] + momentum * mean[ch];
		runVar[ch] = (1.0f - momentum) * runVar[ch] + momentum * variance[ch] * unbias;
	}
}

// BatchNormInvStd sets invStd = 1/√(variance + eps), eps a double as the graph
// package keeps it (graph's bnBackward).
KERNEL void BatchNormInvStd(int c, const float* variance, double eps, float* invStd) {
	FOR_EACH(ch, c) invStd[ch] = (float)(1 / sqrt((double)variance[ch] + eps));
}

// BatchNormForwardEval: y = (x − mean)·(γ/√(var + eps)) + β; gamma and beta NULL
// mean 1 and 0. The graph runs it in training too, with the batch statistics.
KERNEL void BatchNormForwardEval(int n, int c, int l, const float* x, const float* gamma, const float* beta,
	const float* runMean, const float* runVar, float eps, float* y) {
	FOR_EACH(e, n * c * l) {
		int ch = e / l % c;
		float g = gamma ? gamma[ch] : 1.0f, b = beta ? beta[ch] : 0.0f;
		float invStd = (float)(1 / sqrt((double)runVar[ch] + (double)eps));
		y[e] = (x[e] - runMean[ch]) * (g * invStd) + b;
	}
}

// BatchNormBackward: one block per channel; dx, dgamma and dbeta may each be
// NULL.
KERNEL void BatchNormBackward(int n, int c, int l, const float* x, const float* gamma, const float* dy,
	const float* saveMean, const float* saveInvStd, float* dx, float* dgamma, float* dbeta) {
	__shared__ double scratch[REDUCE_THREADS];
	int ch = blockIdx.x, cnt = n * l;
	double m = (double)cnt;
	float mean = saveMean[ch];
	double invStd = (double)saveInvStd[ch];
	double sumDy = 0, sumDyXc = 0;
	FOR_BLOCK(e, 0, cnt) {
		size_t at = channel_at(c, l, ch, e);
		double g = (double)dy[at];
		sumDy += g;
		sumDyXc += g * (double)(x[at] - mean);
	}
	sumDy = block_sum(sumDy, scratch);
	sumDyXc = block_sum(sumDyXc, scratch);
	if (threadIdx.x == 0) {
		if (dbeta) dbeta[ch] = (float)sumDy;
		if (dgamma) dgamma[ch] = (float)(sumDyXc * invStd);
	}
	if (!dx) return;
	double a = (double)(gamma ? gamma[ch] : 1.0f) * invStd;
	float slope = (float)(a * invStd * invStd * sumDyXc / m), offset = (float)(a * sumDy / m);
	float af = (float)a;
	FOR_BLOCK(e, 0, cnt) {
		size_t at = channel_at(c, l, ch, e);
		dx[at] = af * dy[at] - slope * (x[at] - mean) - offset;
	}
}

// BatchNormBackwardData: dx from the sums BatchNormBackward returns as dgamma
// (Σ dy·x̂) and dbeta (Σ dy), one thread per element.
KERNEL void BatchNormBackwardData(int n, int c, int l, const float* x, const float* gamma, const float* dy,
	const float* saveMean, const float* saveInvStd, const float* dgamma, const float* dbeta, float* dx) {
	double m = (double)n * (double)l;
	FOR_EACH(e, n * c * l) {
		int ch = e / l % c;
		double invStd = (double)saveInvStd[ch];
		double a = (double)(gamma ? gamma[ch] : 1.0f) * invStd;
		float slope = (float)(a * invStd * (double)dgamma[ch] / m), offset = (float)(a * (double)dbeta[ch] / m);
		dx[e] = (float)a * dy[e] - slope * (x[e] - saveMean[ch]) - offset;
	}
}

KERNEL void BatchNormBackwardEval(int n, int c, int l, const float* gamma, const float* runVar, float eps,
	const float* dy, float* dx) {
	FOR_EACH(e, n * c * l) {
		int ch = e / l % c;
		float g = gamma ? gamma[ch] : 1.0f;
		float scale = (float)((double)g / sqrt((double)runVar[ch] + (double)eps));
		dx[e] = dy[e] * scale;
	}
}
