// Twins of mobile_activation.go.
#include "descent.cuh"

KERNEL void Relu6Forward(const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = go_min(go_max(x[i], 0.0f), 6.0f);
}

KERNEL void Relu6Backward(const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) dx[i] = x[i] > 0.0f && x[i] < 6.0f ? dy[i] : 0.0f;
}

KERNEL void HardsigmoidForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = go_min(go_max(x[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
}

KERNEL void HardsigmoidBackward(const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) dx[i] = x[i] > -3.0f && x[i] < 3.0f ? dy[i] * (1.0f / 6.0f) : 0.0f;
}

KERNEL void HardswishForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) y[i] = x[i] * go_min(go_max(x[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
}

KERNEL void HardswishBackward(const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) {
		float v = x[i], g;
		if (v < -3.0f) g = 0.0f;
		else if (v <= 3.0f) g = dy[i] * (v / 3.0f + 0.5f);
		else g = dy[i];
		dx[i] = g;
	}
}

// sigmoid64 is 1/(1 + e^−z) without overflow, as SigmoidForward computes it.
__device__ inline double sigmoid64(double z) {
	double e = exp(-fabs(z));
	return z >= 0 ? 1 / (1 + e) : e / (1 + e);
}

KERNEL void SiluForward(const float* x, float* y, int n) {
	FOR_EACH(i, n) {
		double z = (double)x[i];
		y[i] = (float)(z * sigmoid64(z));
	}
}

KERNEL void SiluBackward(const float* x, const float* dy, float* dx, int n) {
	FOR_EACH(i, n) {
		double z = (double)x[i], s = sigmoid64(z);
		dx[i] = (float)((double)dy[i] * (s * (1 + z * (1 - s))));
	}
}
