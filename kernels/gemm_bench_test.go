package kernels

import (
	"math/rand/v2"
	"testing"
)

// gemmBenchShapes are a square reference, the LeNet products at batch 64 (conv
// through im2col; n counts output positions over the whole batch) and the deep
// products of ResNet-18's 512 channels at 7×7 (a chunk of 16 images).
var gemmBenchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"square512", false, false, 512, 512, 512},
	{"conv1_fwd", false, false, 32, 576 * 64, 25},
	{"conv2_fwd", false, false, 64, 64 * 64, 800},
	{"conv2_bwd_filter", false, true, 64, 800, 64 * 64},
	{"conv2_bwd_data", true, false, 800, 64 * 64, 64},
	{"linear_fwd", false, true, 64, 128, 1024},
	{"deep512_fwd", false, false, 512, 16 * 49, 4608},
	{"deep512_bwd_filter", false, true, 512, 4608, 16 * 49},
	{"deep512_bwd_data", true, false, 4608, 16 * 49, 512},
}

// BenchmarkGemm reports GFLOP/s per shape and kernel family (float32 unless
// named f64-); run with -cpu 1,2 for the single- and two-thread numbers.
func BenchmarkGemm(b *testing.B) {
	for _, s := range gemmBenchShapes {
		for _, arch := range sgemmArchs() {
			b.Run(s.name+"/"+arch.name, func(b *testing.B) {
				benchGemm[float32](b, s.transA, s.transB, s.m, s.n, s.k, func(fn func()) { withArch(arch, fn) })
			})
		}
		for _, arch := range dgemmArchs() {
			b.Run(s.name+"/f64-"+arch.name, func(b *testing.B) {
				benchGemm[float64](b, s.transA, s.transB, s.m, s.n, s.k, func(fn func()) { withArch(arch, fn) })
			})
		}
	}
}

func benchGemm[T Float](b *testing.B, transA, transB bool, m, n, k int, with func(func())) {
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]T, m*k)
	bm := make([]T, k*n)
	c := make([]T, m*n)
	for i := range a {
		a[i] = T(rng.Float64())
	}
	for i := range bm {
		bm[i] = T(rng.Float64())
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	with(func() {
		Gemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
		b.ResetTimer()
		for b.Loop() {
			Gemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
		}
		b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	})
}
