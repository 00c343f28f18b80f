// Twins of activation.go.
#include "descent.cuh"

KERNEL void ReluForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = go_max(x[i], 0.0f);
}

// ReluBackward: dx = 0 where x ≤ 0 and dx = dy elsewhere, NaN included, as
// PyTorch's threshold_backward.
KERNEL void ReluBackward(const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) {
		bool pass = x[i] > 0 || x[i] != x[i];
		dx[i] = __uint_as_float(pass ? __float_as_uint(dy[i]) : 0u);
	}
}

// LeakyReluForward is LeakyReluBackward's factor applied to x itself.
KERNEL void LeakyReluForward(float slope, const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = x[i] * (x[i] > 0 ? 1.0f : slope);
}

// LeakyReluBackward: dx = dy for x > 0 and slope·dy elsewhere, NaN included.
KERNEL void LeakyReluBackward(float slope, const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) dx[i] = dy[i] * (x[i] > 0 ? 1.0f : slope);
}

KERNEL void TanhForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = (float)tanh((double)x[i]);
}

KERNEL void TanhBackward(const float* y, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

KERNEL void SigmoidForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) {
		double z = (double)x[i];
		double e = exp(-fabs(z));
		y[i] = z >= 0 ? (float)(1 / (1 + e)) : (float)(e / (1 + e));
	}
}

KERNEL void SigmoidBackward(const float* y, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}
