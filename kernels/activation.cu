// Twins of activation.go.
#include "descent.cuh"

KERNEL void ReluForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = go_max(x[i], 0.0f);
}

KERNEL void ReluBackward(const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) {
		unsigned int keep = ~nonpositive_mask(__float_as_uint(x[i]));
		dx[i] = __uint_as_float(__float_as_uint(dy[i]) & keep);
	}
}

KERNEL void LeakyReluForward(float slope, const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = go_max(x[i], 0.0f) + slope * go_min(x[i], 0.0f);
}

KERNEL void LeakyReluBackward(float slope, const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) {
		float factor = nonpositive_mask(__float_as_uint(x[i])) ? slope : 1.0f;
		dx[i] = dy[i] * factor;
	}
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
