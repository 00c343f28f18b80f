// Twins of conv.go's pieces. A convolution runs as conv.go runs it, over groups
// of gn images starting at n0: Im2col builds the group's column matrix (C·R·S
// rows, gn·OutH·OutW columns), cuBLAS multiplies it with the filters, ImageRows
// moves rows between the group layout and the images, Col2im folds column
// gradients back into images. Shapes are ConvShape's fields: C, H, W, R, S,
// StrideH, StrideW, PadH, PadW, DilationH, DilationW, then OutH, OutW.
#include "descent.cuh"

#define CONV_SHAPE int C, int H, int W, int R, int S, int SH, int SW, int PH, int PW, int DH, int DW, int OH, int OW

// Im2col writes col[(c·R + r)·S + s][g·OH·OW + oh·OW + ow] =
// x[n0+g][c][oh·SH − PH + r·DH][ow·SW − PW + s·DW], 0 in the padding.
KERNEL void Im2col(CONV_SHAPE, const float* x, int n0, int gn, float* col) {
	int P = OH * OW, cols = gn * P;
	FOR_EACH(e, C * R * S * cols) {
		int q = e / cols, j = e % cols;
		int g = j / P, oh = j % P / OW, ow = j % OW;
		int c = q / (R * S), r = q / S % R, s = q % S;
		int ih = oh * SH - PH + r * DH, iw = ow * SW - PW + s * DW;
		float v = 0.0f;
		if (ih >= 0 && ih < H && iw >= 0 && iw < W) v = x[(((size_t)(n0 + g) * C + c) * H + ih) * W + iw];
		col[e] = v;
	}
}

// Col2im overwrites images [n0, n0+gn) of dx with the sums of the column
// entries Im2col copies from each element, taps in (r, s) order as col2im adds
// them.
KERNEL void Col2im(CONV_SHAPE, const float* col, int n0, int gn, float* dx) {
	int P = OH * OW, cols = gn * P;
	FOR_EACH(e, gn * C * H * W) {
		int g = e / (C * H * W), c = e / (H * W) % C, h = e / W % H, w = e % W;
		float acc = 0.0f;
		for (int r = 0; r < R; r++) {
			int th = h + PH - r * DH;
			if (th < 0 || th % SH != 0 || th / SH >= OH) continue;
			for (int s = 0; s < S; s++) {
				int tw = w + PW - s * DW;
				if (tw < 0 || tw % SW != 0 || tw / SW >= OW) continue;
				int q = (c * R + r) * S + s;
				acc += col[(size_t)q * cols + g * P + th / SH * OW + tw / SW];
			}
		}
		dx[(size_t)n0 * C * H * W + e] = acc;
	}
}

// ImageRows is imageRows: it copies between the rows×(gn·p) group matrix m and
// gn images of rows×p in t, into m when toGroup, else into t.
KERNEL void ImageRows(int rows, int p, int gn, float* m, float* t, int toGroup) {
	int cols = gn * p;
	FOR_EACH(e, gn * rows * p) {
		int g = e / (rows * p), r = e / p % rows, j = e % p;
		size_t at = (size_t)r * cols + g * p + j;
		if (toGroup) m[at] = t[e];
		else t[e] = m[at];
	}
}

// FillRows sets row k of the rows×cols matrix out to b[k]: a convolution's
// output starts as its bias, which the GEMM then adds to.
KERNEL void FillRows(int rows, int cols, const float* b, float* out) {
	FOR_EACH(e, rows * cols) out[e] = b[e / cols];
}

KERNEL void BiasAddNCL(int n, int c, int l, const float* b, float* y) {
	FOR_EACH(e, n * c * l) y[e] += b[e / l % c];
}

// BiasBackwardNCL sums channel blockIdx.x of dy (N×C×L) in double.
KERNEL void BiasBackwardNCL(int n, int c, int l, const float* dy, float* db) {
	__shared__ double scratch[REDUCE_THREADS];
	int ch = blockIdx.x;
	double acc = 0;
	FOR_BLOCK(e, 0, n * l) {
		int i = e / l, j = e % l;
		acc += (double)dy[((size_t)i * c + ch) * l + j];
	}
	double total = block_sum(acc, scratch);
	if (threadIdx.x == 0) db[ch] = (float)total;
}
