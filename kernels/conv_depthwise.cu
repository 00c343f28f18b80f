// Twins of conv_depthwise.go: depthwise convolutions (groups = C, K = m·C,
// filter k sees input channel k/m), one element per thread for the data, one
// block per filter tap for the filter gradient. Shapes are ConvShape's fields
// N, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW, DilationH, DilationW,
// then OutH, OutW.
#include "descent.cuh"

#define DEPTHWISE_SHAPE int N, int C, int H, int W, int K, int R, int S, int SH, int SW, int PH, int PW, int DH, int DW, int OH, int OW

// DepthwiseConv2DForward: y[n][k] = bias[k] + Σ taps (r, s) in order of
// w[k][r][s]·x[n][k/m] (bias NULL: none).
KERNEL void DepthwiseConv2DForward(DEPTHWISE_SHAPE, const float* x, const float* w, const float* bias, float* y) {
	int mult = K / C;
	FOR_EACH(o, N * K * OH * OW) {
		int plane = o / (OH * OW), oh = o / OW % OH, ow = o % OW;
		int n = plane / K, k = plane % K;
		const float* src = x + ((size_t)n * C + k / mult) * H * W;
		float acc = bias ? bias[k] : 0.0f;
		for (int r = 0; r < R; r++) {
			int ih = oh * SH - PH + r * DH;
			if (ih < 0 || ih >= H) continue;
			for (int s = 0; s < S; s++) {
				int iw = ow * SW - PW + s * DW;
				if (iw < 0 || iw >= W) continue;
				acc += w[(k * R + r) * S + s] * src[ih * W + iw];
			}
		}
		y[o] = acc;
	}
}

// DepthwiseConv2DBackwardData: dx[n][c] gathers the products of the m filters
// of channel c with dy, filter after filter and tap after tap.
KERNEL void DepthwiseConv2DBackwardData(DEPTHWISE_SHAPE, const float* w, const float* dy, float* dx) {
	int mult = K / C;
	FOR_EACH(e, N * C * H * W) {
		int plane = e / (H * W), h = e / W % H, x = e % W;
		int n = plane / C, c = plane % C;
		float acc = 0.0f;
		for (int m = 0; m < mult; m++) {
			int k = c * mult + m;
			const float* g = dy + ((size_t)n * K + k) * OH * OW;
			for (int r = 0; r < R; r++) {
				int th = h + PH - r * DH;
				if (th < 0 || th % SH != 0 || th / SH >= OH) continue;
				for (int s = 0; s < S; s++) {
					int tw = x + PW - s * DW;
					if (tw < 0 || tw % SW != 0 || tw / SW >= OW) continue;
					acc += w[(k * R + r) * S + s] * g[th / SH * OW + tw / SW];
				}
			}
		}
		dx[e] = acc;
	}
}

// DepthwiseConv2DBackwardFilter: block e sums dw[e] = dw[k][r][s] over the
// images and output positions in double.
KERNEL void DepthwiseConv2DBackwardFilter(DEPTHWISE_SHAPE, const float* x, const float* dy, float* dw) {
	__shared__ double scratch[REDUCE_THREADS];
	int e = blockIdx.x, mult = K / C;
	int k = e / (R * S), r = e / S % R, s = e % S;
	double acc = 0;
	FOR_BLOCK(t, 0, (long long)N * OH * OW) {
		int n = t / (OH * OW), oh = t / OW % OH, ow = t % OW;
		int ih = oh * SH - PH + r * DH, iw = ow * SW - PW + s * DW;
		if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
		acc += (double)dy[((size_t)n * K + k) * OH * OW + oh * OW + ow] * (double)x[(((size_t)n * C + k / mult) * H + ih) * W + iw];
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) dw[e] = (float)total;
}
