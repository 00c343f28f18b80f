// Fused multi-tensor twins of optim.go's optimizer kernels, in optim.go's
// operation order (which saves a root or a division here and there against
// PyTorch's, equal up to rounding). One launch updates
// every parameter tensor of a flat region (parameters, gradients and each state
// laid out at the same offsets, each tensor starting on a multiple of chunk
// elements; the padding between tensors is zero and stays zero). Parameter
// groups: group[i/chunk] picks the row of hyper holding element i's
// hyperparameters, already converted to float as optim.go converts them; a
// negative group leaves its chunks alone (parameters outside the optimizer);
// group NULL means row 0 everywhere. Optional state (momentum buffers, AMSGrad's
// maximum, RMSProp's average gradient) may be NULL when no group uses it. A
// non-zero *skip (the non-finite check's total, NaN when a gradient is not
// finite) leaves everything as it is; skip NULL always updates.
#include "descent.cuh"

// hyper_row is element i's row of hyper, or NULL when its group is negative.
__device__ inline const float* hyper_row(const float* hyper, int stride, const int* group, int chunk, int i) {
	int row = group ? group[i / chunk] : 0;
	return row < 0 ? 0 : hyper + row * stride;
}

// SGD rows: rate, momentum, 1−dampening, weight decay, nesterov (0/1), first
// step (0/1), has momentum buffer (0/1).
#define SGD_HYPER 7
KERNEL void SGD(float* w, const float* g, float* buf, const float* hyper, const int* group, const double* skip, int chunk, int n) {
	if (skip && *skip != 0) return;
	FOR_EACH(i, n) {
		const float* h = hyper_row(hyper, SGD_HYPER, group, chunk, i);
		if (!h) continue;
		float rate = h[0], mu = h[1], keep = h[2], wd = h[3];
		if (h[6] == 0) {
			w[i] -= rate * (g[i] + wd * w[i]);
			continue;
		}
		float d = g[i] + wd * w[i];
		buf[i] = flush_subnormal(h[5] != 0 ? d : mu * buf[i] + keep * d);
		if (h[4] != 0) d += mu * buf[i];
		else d = buf[i];
		w[i] -= rate * d;
	}
}

// Adagrad rows: −clr, weight decay, eps.
#define ADAGRAD_HYPER 3
KERNEL void Adagrad(float* w, const float* g, float* sum, const float* hyper, const int* group, const double* skip, int chunk, int n) {
	if (skip && *skip != 0) return;
	FOR_EACH(i, n) {
		const float* h = hyper_row(hyper, ADAGRAD_HYPER, group, chunk, i);
		if (!h) continue;
		float d = g[i] + h[1] * w[i];
		sum[i] += d * d;
		w[i] += h[0] * d / (sqrtf(sum[i]) + h[2]);
	}
}

// Adadelta rows: lr, rho, 1−rho, eps, weight decay. One root of the ratio, as
// optim.go takes it.
#define ADADELTA_HYPER 5
KERNEL void Adadelta(float* w, const float* g, float* squareAvg, float* accDelta, const float* hyper,
	const int* group, const double* skip, int chunk, int n) {
	if (skip && *skip != 0) return;
	FOR_EACH(i, n) {
		const float* h = hyper_row(hyper, ADADELTA_HYPER, group, chunk, i);
		if (!h) continue;
		float rate = h[0], r = h[1], keep = h[2], e = h[3], wd = h[4];
		float wi = w[i];
		float d = g[i] + wd * wi;
		float si = flush_subnormal(r * squareAvg[i] + keep * d * d);
		squareAvg[i] = si;
		float ai = accDelta[i];
		float delta = sqrtf((ai + e) / (si + e)) * d;
		accDelta[i] = flush_subnormal(r * ai + keep * delta * delta);
		w[i] = wi - rate * delta;
	}
}

// RMSProp rows: lr, alpha, 1−alpha, eps, weight decay, momentum, centered (0/1),
// has momentum buffer (0/1).
#define RMSPROP_HYPER 8
KERNEL void RMSProp(float* w, const float* g, float* squareAvg, float* gradAvg, float* buf, const float* hyper,
	const int* group, const double* skip, int chunk, int n) {
	if (skip && *skip != 0) return;
	FOR_EACH(i, n) {
		const float* h = hyper_row(hyper, RMSPROP_HYPER, group, chunk, i);
		if (!h) continue;
		float rate = h[0], a = h[1], keep = h[2], e = h[3], wd = h[4], mu = h[5];
		float wi = w[i];
		float d = g[i] + wd * wi;
		float si = flush_subnormal(a * squareAvg[i] + keep * d * d);
		squareAvg[i] = si;
		if (h[6] != 0) {
			float gi = flush_subnormal(a * gradAvg[i] + keep * d);
			gradAvg[i] = gi;
			si -= gi * gi;
		}
		float step = d / (sqrtf(si) + e);
		if (h[7] != 0) {
			step = flush_subnormal(step + mu * buf[i]);
			buf[i] = step;
		}
		w[i] = wi - rate * step;
	}
}

// Adam rows (Adam and AdamW), optim.go's adamUpdate folding √(1−β2^step) into
// the step: −lr/(1−β1^step)·√(1−β2^step), eps·√(1−β2^step), β1, 1−β1, β2, 1−β2,
// coupled weight decay, decoupled shrink factor, AMSGrad (0/1).
#define ADAM_HYPER 9
KERNEL void Adam(float* w, const float* g, float* m, float* v, float* vmax, const float* hyper,
	const int* group, const double* skip, int chunk, int n) {
	if (skip && *skip != 0) return;
	FOR_EACH(i, n) {
		const float* h = hyper_row(hyper, ADAM_HYPER, group, chunk, i);
		if (!h) continue;
		float negStep = h[0], epsB = h[1], b1 = h[2], keep1 = h[3], b2 = h[4], keep2 = h[5];
		float wd = h[6], s = h[7];
		float wi = w[i] * s;
		float d = g[i] + wd * wi;
		float mi = flush_subnormal(b1 * m[i] + keep1 * d);
		float vi = flush_subnormal(b2 * v[i] + keep2 * d * d);
		m[i] = mi;
		v[i] = vi;
		if (h[8] != 0) {
			vi = go_max(vmax[i], vi);
			vmax[i] = vi;
		}
		w[i] = wi + negStep * mi / (sqrtf(vi) + epsB);
	}
}

KERNEL void PenaltyGrad(const float* w, float* g, float l1, float l2, int n) {
	FOR_EACH(i, n) {
		float sign = w[i] > 0 ? l1 : (w[i] < 0 ? -l1 : 0.0f);
		g[i] += sign + l2 * w[i];
	}
}

// ClipScale is clipping by global norm on the device: the factor comes from
// the reduction's total, not from the host.
KERNEL void ClipScale(float* x, const double* sumSquares, double maxNorm, int n) {
	double coef = maxNorm / (sqrt(*sumSquares) + 1e-6);
	if (!(coef < 1)) return;
	float f = (float)coef;
	FOR_EACH(i, n) x[i] *= f;
}

// GradClamp leaves the gradients as they are when *skip is not zero, so that
// an infinite gradient is still found after it.
KERNEL void GradClamp(float* x, float limit, const double* skip, int n) {
	if (skip && *skip != 0) return;
	FOR_EACH(i, n) x[i] = go_min(go_max(x[i], -limit), limit);
}
