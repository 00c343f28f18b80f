package kernels

import (
	"math/rand/v2"
	"testing"
)

func BenchmarkZZLenetConv2(b *testing.B) {
	s := ConvShape{N: 64, C: 32, H: 12, W: 12, K: 64, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	rng := rand.New(rand.NewPCG(1, 1))
	x := asType[float32](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
	y := asType[float32](uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1))
	w := asType[float32](uniformSlice(rng, s.K*s.C*25, -1, 1))
	work := make([]float32, max(Conv2DWorkspace(s), ConvBackwardWorkspace(s)))
	stats := make([]float64, 3*s.N*s.K)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			Conv2DForward(s, x, w, nil, y, work)
		}
	})
	b.Run("forwardstats", func(b *testing.B) {
		for b.Loop() {
			Conv2DForwardRowStats(s, x, w, nil, y, work, stats)
		}
	})
	b.Run("stats", func(b *testing.B) {
		for b.Loop() {
			BatchNormRowStats(s.N*s.K, 64, y, stats)
		}
	})
}
