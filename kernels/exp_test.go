package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestExpNonPositiveMatchesMathExp(t *testing.T) {
	rng := rand.New(rand.NewPCG(60, 61))
	for i := 0; i < 200000; i++ {
		a := -110 * rng.Float64()
		if i < 1000 {
			a = -float64(i) * 1e-3 // near 0, where k = 0
		}
		got, want := expNonPositive(a), math.Exp(a)
		if math.Abs(got-want) > 1e-11*want {
			t.Fatalf("expNonPositive(%v) = %v, math.Exp %v", a, got, want)
		}
	}
	if got := expNonPositive(math.Inf(-1)); got != expNonPositive(-110) {
		t.Errorf("expNonPositive(−Inf) = %v, want the flushed e^−110", got)
	}
	if got := expNonPositive(math.NaN()); !math.IsNaN(got) {
		t.Errorf("expNonPositive(NaN) = %v", got)
	}
}

// ulpDistance is the number of float32 values between a and b (same sign).
func ulpDistance(a, b float32) int64 {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	return max(d, -d)
}

// float32 tanh and σ are within one ulp of the correctly rounded float64
// results over a sweep of magnitudes, denormal outputs included.
func TestFloat32TanhSigmoidWithinOneUlp(t *testing.T) {
	var x []float32
	for b := uint32(0x20000000); b < 0x43000000; b += 0x7f3 { // 2⁻⁶³ … 128
		v := math.Float32frombits(b)
		x = append(x, v, -v)
	}
	th, sg := make([]float32, len(x)), make([]float32, len(x))
	TanhForward(x, th)
	SigmoidForward(x, sg)
	for i, v := range x {
		wantT := float32(math.Tanh(float64(v)))
		wantS := float32(1 / (1 + math.Exp(-float64(v))))
		if ulpDistance(th[i], wantT) > 1 {
			t.Fatalf("tanh(%v) = %v, want %v", v, th[i], wantT)
		}
		if ulpDistance(sg[i], wantS) > 1 {
			t.Fatalf("σ(%v) = %v, want %v", v, sg[i], wantS)
		}
	}
}
