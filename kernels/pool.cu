// Twins of pool.go. Shapes are PoolShape's fields in order: N, C, H, W, KH, KW,
// StrideH, StrideW, PadH, PadW. The backward kernels gather: one thread per
// input element visits the windows containing it in the order the Go loops
// scatter them, so the sums agree bit for bit.
#include "descent.cuh"

#define POOL_SHAPE int N, int C, int H, int W, int KH, int KW, int SH, int SW, int PH, int PW

__device__ inline int pool_out(int in, int k, int stride, int pad) { return (in + 2 * pad - k) / stride + 1; }

// pool_window is PoolShape.window: output (oh, ow)'s window clipped to the
// input, and the size of the window clipped to the padded input.
__device__ inline int pool_window(int oh, int ow, POOL_SHAPE, int* h0, int* h1, int* w0, int* w1) {
	int a = oh * SH - PH, b = ow * SW - PW;
	int ah = min(a + KH, H + PH), bw = min(b + KW, W + PW);
	*h0 = max(a, 0);
	*h1 = min(ah, H);
	*w0 = max(b, 0);
	*w1 = min(bw, W);
	return (ah - a) * (bw - b);
}

// pool_range gives the outputs [lo, hi] along one axis whose window covers
// input position i.
__device__ inline void pool_range(int i, int k, int stride, int pad, int out, int* lo, int* hi) {
	int t = i + pad - k;
	*lo = t < 0 ? 0 : t / stride + 1;
	*hi = min((i + pad) / stride, out - 1);
}

// argmax_window is argmaxWindow: the first maximum in row-major order, or the
// last NaN.
__device__ inline int argmax_window(const float* x, int W, int h0, int h1, int w0, int w1) {
	int at = h0 * W + w0;
	float best = -INFINITY;
	for (int h = h0; h < h1; h++) {
		for (int k = h * W + w0; k < h * W + w1; k++) {
			float v = x[k];
			if (v > best || v != v) {
				at = k;
				best = v;
			}
		}
	}
	return at;
}

KERNEL void MaxPool2DForward(POOL_SHAPE, const float* x, float* y) {
	int OH = pool_out(H, KH, SH, PH), OW = pool_out(W, KW, SW, PW);
	FOR_EACH(o, N * C * OH * OW) {
		int plane = o / (OH * OW), oh = o / OW % OH, ow = o % OW;
		const float* xp = x + (size_t)plane * H * W;
		int h0, h1, w0, w1;
		pool_window(oh, ow, N, C, H, W, KH, KW, SH, SW, PH, PW, &h0, &h1, &w0, &w1);
		float m = -INFINITY;
		for (int h = h0; h < h1; h++)
			for (int w = w0; w < w1; w++) m = go_max(m, xp[h * W + w]);
		y[o] = m;
	}
}

KERNEL void MaxPool2DBackward(POOL_SHAPE, const float* x, const float* dy, float* dx) {
	int OH = pool_out(H, KH, SH, PH), OW = pool_out(W, KW, SW, PW);
	FOR_EACH(e, N * C * H * W) {
		int plane = e / (H * W), h = e / W % H, w = e % W;
		const float* xp = x + (size_t)plane * H * W;
		const float* dyp = dy + (size_t)plane * OH * OW;
		int ohLo, ohHi, owLo, owHi;
		pool_range(h, KH, SH, PH, OH, &ohLo, &ohHi);
		pool_range(w, KW, SW, PW, OW, &owLo, &owHi);
		float acc = 0.0f;
		for (int oh = ohLo; oh <= ohHi; oh++) {
			for (int ow = owLo; ow <= owHi; ow++) {
				int h0, h1, w0, w1;
				pool_window(oh, ow, N, C, H, W, KH, KW, SH, SW, PH, PW, &h0, &h1, &w0, &w1);
				if (argmax_window(xp, W, h0, h1, w0, w1) == h * W + w) acc += dyp[oh * OW + ow];
			}
		}
		dx[e] = acc;
	}
}

KERNEL void AvgPool2DForward(POOL_SHAPE, const float* x, float* y) {
	int OH = pool_out(H, KH, SH, PH), OW = pool_out(W, KW, SW, PW);
	FOR_EACH(o, N * C * OH * OW) {
		int plane = o / (OH * OW), oh = o / OW % OH, ow = o % OW;
		const float* xp = x + (size_t)plane * H * W;
		int h0, h1, w0, w1;
		int size = pool_window(oh, ow, N, C, H, W, KH, KW, SH, SW, PH, PW, &h0, &h1, &w0, &w1);
		float sum = 0.0f;
		for (int h = h0; h < h1; h++)
			for (int w = w0; w < w1; w++) sum += xp[h * W + w];
		y[o] = sum / (float)size;
	}
}

KERNEL void AvgPool2DBackward(POOL_SHAPE, const float* dy, float* dx) {
	int OH = pool_out(H, KH, SH, PH), OW = pool_out(W, KW, SW, PW);
	FOR_EACH(e, N * C * H * W) {
		int plane = e / (H * W), h = e / W % H, w = e % W;
		const float* dyp = dy + (size_t)plane * OH * OW;
		int ohLo, ohHi, owLo, owHi;
		pool_range(h, KH, SH, PH, OH, &ohLo, &ohHi);
		pool_range(w, KW, SW, PW, OW, &owLo, &owHi);
		float acc = 0.0f;
		for (int oh = ohLo; oh <= ohHi; oh++) {
			for (int ow = owLo; ow <= owHi; ow++) {
				int h0, h1, w0, w1;
				int size = pool_window(oh, ow, N, C, H, W, KH, KW, SH, SW, PH, PW, &h0, &h1, &w0, &w1);
				acc += dyp[oh * OW + ow] / (float)size;
			}
		}
		dx[e] = acc;
	}
}
