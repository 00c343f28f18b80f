package augment

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// exactFMA32 rounds a·b + c, computed exactly, to the nearest float32 (ties to even).
func exactFMA32(a, b, c float32) float32 {
	x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(a, b, c float32) {
		t.Helper()
		if got, want := fma32(a, b, c), exactFMA32(a, b, c); got != want {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
	// Products that land exactly halfway between two float32 values, plus a tiny
	// addend that the float64 sum loses: only its sign may decide the rounding.
	half := float32(1.0 / 11)
	check(9, half, 0)
	for _, c := range []float32{1e-17, -1e-17, 5.8e-17, -5.8e-17, 1e-30, -1e-30} {
		check(9, half, c)
		check(-9, half, c)
	}
	halfway := 0
	for range 200000 {
		a := float32(r.NormFloat64())
		b := float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(20)-10)))
		c := float32(r.NormFloat64() * math.Pow(2, float64(r.IntN(80)-40)))
		check(a, b, c)
		// An odd 24-bit integer times 1.5 needs 26 bits: a quarter of these products
		// lie exactly halfway between two float32 values.
		m := float32(r.IntN(1<<23)*2+1<<23+1) * float32(math.Pow(2, float64(r.IntN(20)-10)))
		p := float64(m) * 1.5
		if float64(float32(p)) != p && math.Float64bits(p)<<35 == 1<<63 {
			halfway++
		}
		check(m, 1.5, c*1e-12)
		check(m, 1.5, -c*1e-12)
	}
	if halfway < 10000 {
		t.Errorf("only %d halfway products tried", halfway)
	}
}
