// Twins of global_pool.go.
#include "descent.cuh"

// GlobalAvgPoolForward: one thread per plane sums it in double, in order.
KERNEL void GlobalAvgPoolForward(int planes, int hw, const float* x, float* y) {
	FOR_EACH(p, planes) {
		const float* src = x + (size_t)p * hw;
		double sum = 0;
		for (int i = 0; i < hw; i++) sum += (double)src[i];
		y[p] = (float)(sum / (double)hw);
	}
}

KERNEL void GlobalAvgPoolBackward(int planes, int hw, const float* dy, float* dx) {
	FOR_EACH(e, planes * hw) dx[e] = dy[e / hw] / (float)hw;
}
