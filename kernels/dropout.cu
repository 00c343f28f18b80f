// Twins of dropout.go: the same Philox4x32-10 stream, so the GPU drops exactly
// the elements the CPU drops.
#include "descent.cuh"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

// philox4x32 is philox4x32 of dropout.go: ten rounds on counter c with key k.
__device__ inline void philox4x32(unsigned int c[4], unsigned int k0, unsigned int k1) {
	for (int round = 0; round < 10; round++) {
		if (round > 0) {
			k0 += PHILOX_W0;
			k1 += PHILOX_W1;
		}
		unsigned int hi0 = __umulhi(PHILOX_M0, c[0]), lo0 = PHILOX_M0 * c[0];
		unsigned int hi1 = __umulhi(PHILOX_M1, c[2]), lo1 = PHILOX_M1 * c[2];
		unsigned int n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
		c[0] = n0;
		c[1] = lo1;
		c[2] = n2;
		c[3] = lo0;
	}
}

// dropout_apply is dropoutApply: one thread per block of four elements. The
// step's seed is read from device memory so that a captured CUDA graph replays
// with each step's seed.
__device__ inline void dropout_apply(const unsigned long long* seedp, float p, const float* in, float* out, int n) {
	unsigned long long seed = *seedp;
	unsigned long long threshold = (unsigned long long)ceil((double)p * 4294967296.0);
	float scale = 1.0f / (1.0f - p);
	FOR_EACH(block, ((long long)n + 3) / 4) {
		unsigned int c[4] = {(unsigned int)block, 0u, 0u, 0u};
		philox4x32(c, (unsigned int)seed, (unsigned int)(seed >> 32));
		// The last block may hold fewer than four elements.
		for (int j = 0; j < min(4, n - 4 * block); j++) {
			int i = 4 * block + j;
			float f = (unsigned long long)c[j] >= threshold ? scale : 0.0f;
			out[i] = in[i] * f;
		}
	}
}

KERNEL void DropoutForward(const unsigned long long* seed, float p, const float* x, float* y, int n) {
	dropout_apply(seed, p, x, y, n);
}

KERNEL void DropoutBackward(const unsigned long long* seed, float p, const float* dy, float* dx, int n) {
	dropout_apply(seed, p, dy, dx, n);
}
