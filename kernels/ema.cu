// Twin of ema.go. rates points to the step's {decay, 1−decay} on the device,
// converted from double on the host (launch.EMARates), so that a replayed
// graph picks up each step's decay and the products match the Go twin's.
#include "descent.cuh"

KERNEL void EMAUpdate(const float* rates, float* ema, const float* w, int n) {
	float keep = rates[0], mix = rates[1];
	FOR_EACH(i, n) ema[i] = keep * ema[i] + mix * w[i];
}
