package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestEMAUpdate checks ema = decay·ema + (1−decay)·w element by element, in
// the element type, on enough elements for several chunks.
func TestEMAUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 71))
	n := 3*elementGrain + 17
	ema, w := asType[float32](uniformSlice(rng, n, -2, 2)), asType[float32](uniformSlice(rng, n, -2, 2))
	want := make([]float32, n)
	const decay = 0.999
	for i := range want {
		want[i] = float32(decay)*ema[i] + float32(1-decay)*w[i]
	}
	EMAUpdate(decay, ema, w)
	expectIdentical(t, "ema", ema, want)

	// float64, and zeros stay zeros.
	e64, w64 := []float64{1, 0, -3}, []float64{3, 0, 1}
	EMAUpdate(0.75, e64, w64)
	expectIdentical(t, "ema float64", e64, []float64{1.5, 0, -2})
}
