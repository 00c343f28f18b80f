// sgemm.h — the column-major SGEMM of cublasSgemm on the CPU, for the kernel
// emulation's tests (driver.cpp) and the libcublas test double (libcublas.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

// to_tf32 keeps what a tensor core reads of a float in TF32 mode: the sign,
// the 8 exponent bits and the top 10 of the 23 mantissa bits. The TF32 MMA
// instructions take float registers and ignore the low 13 bits, so the
// dropped bits are truncated (toward zero), not rounded.
inline float to_tf32(float x) {
	uint32_t u;
	memcpy(&u, &x, sizeof u);
	u &= 0xffffe000u;
	memcpy(&x, &u, sizeof x);
	return x;
}

// sgemm computes C = alpha op(A) op(B) + beta C in column-major storage, each
// element's float products summed in float in order of k. With tf32 the
// elements of A and B go through to_tf32 first. beta == 0 ignores C's old
// values (NaN included), as cuBLAS does. op(A) and op(B) are first copied into
// contiguous columns, so that the inner loop runs down a column of A and a
// column of C.
inline void sgemm(bool ta, bool tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
	int ldb, float beta, float* c, int ldc, bool tf32 = false) {
	std::vector<float> pa((size_t)m * k), pb((size_t)k * n), acc(m);
	for (int p = 0; p < k; p++) {
		for (int i = 0; i < m; i++) {
			float x = ta ? a[p + (size_t)i * lda] : a[i + (size_t)p * lda];
			pa[i + (size_t)p * m] = tf32 ? to_tf32(x) : x;
		}
	}
	for (int j = 0; j < n; j++) {
		for (int p = 0; p < k; p++) {
			float y = tb ? b[j + (size_t)p * ldb] : b[p + (size_t)j * ldb];
			pb[p + (size_t)j * k] = tf32 ? to_tf32(y) : y;
		}
	}
	for (int j = 0; j < n; j++) {
		std::fill(acc.begin(), acc.end(), 0.0f);
		for (int p = 0; p < k; p++) {
			const float y = pb[p + (size_t)j * k];
			const float* col = &pa[(size_t)p * m];
			for (int i = 0; i < m; i++) acc[i] += col[i] * y;
		}
		float* out = &c[(size_t)j * ldc];
		for (int i = 0; i < m; i++) out[i] = beta == 0 ? alpha * acc[i] : alpha * acc[i] + beta * out[i];
	}
}
