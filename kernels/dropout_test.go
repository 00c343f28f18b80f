package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Known-answer vectors of Philox4x32-10 from Random123's kat_vectors file
// (counter, key → output), the reference its CUDA twin is checked against too.
func TestPhilox4x32KnownAnswers(t *testing.T) {
	cases := []struct {
		ctr  [4]uint32
		key  [2]uint32
		want [4]uint32
	}{
		{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
		{[4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, [2]uint32{0xffffffff, 0xffffffff},
			[4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
		{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0},
			[4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
	}
	for _, tc := range cases {
		if got := philox4x32(tc.ctr, newPhiloxKeys(tc.key)); got != tc.want {
			t.Errorf("philox4x32(%08x, %08x) = %08x, want %08x", tc.ctr, tc.key, got, tc.want)
		}
	}
}

// DropoutUniform follows its documented counter and key layout.
func TestDropoutUniformLayout(t *testing.T) {
	seed := uint64(0x0123456789abcdef)
	for _, i := range []int{0, 1, 2, 3, 4, 7, 1 << 20, 1<<34 + 5} {
		block := uint64(i / 4)
		words := philox4x32([4]uint32{uint32(block), uint32(block >> 32), 0, 0}, newPhiloxKeys([2]uint32{0x89abcdef, 0x01234567}))
		if got, want := DropoutUniform(seed, i), float64(words[i%4])/(1<<32); got != want {
			t.Errorf("DropoutUniform(%#x, %d) = %v, want %v", seed, i, got, want)
		}
	}
}

func testDropout[T Float](t *testing.T) {
	const n = 3*elementGrain + 5 // several chunks and a block cut short
	rng := rand.New(rand.NewPCG(50, 51))
	x := asType[T](uniformSlice(rng, n, 0.5, 1.5)) // never 0, so a zero output means dropped
	for _, p := range []T{0.1, 0.5, 0.8} {
		seed := uint64(0xdecaf) + uint64(p*100)
		y, again := make([]T, n), make([]T, n)
		DropoutForward(seed, p, x, y)
		DropoutForward(seed, p, x, again)
		expectIdentical(t, "same seed", y, again)
		scale := 1 / (1 - p)
		dropped := 0
		for i, v := range y {
			kept := DropoutUniform(seed, i) >= float64(p)
			switch {
			case kept && v != x[i]*scale:
				t.Fatalf("p=%v: kept element %d is %v, want %v·%v", p, i, v, x[i], scale)
			case !kept && v != 0:
				t.Fatalf("p=%v: dropped element %d is %v", p, i, v)
			case !kept:
				dropped++
			}
		}
		// The dropped count is binomial(n, p): allow five standard deviations.
		rate, sd := float64(dropped)/n, math.Sqrt(float64(p)*(1-float64(p))/n)
		if math.Abs(rate-float64(p)) > 5*sd {
			t.Errorf("p=%v: dropped a fraction %v", p, rate)
		}
		// The backward pass applies the same mask and scale to dy.
		dy := asType[T](uniformSlice(rng, n, -1, 1))
		dx := make([]T, n)
		DropoutBackward(seed, p, dy, dx)
		for i := range dx {
			want := T(0)
			if y[i] != 0 {
				want = dy[i] * scale
			}
			if dx[i] != want {
				t.Fatalf("p=%v: dx[%d] = %v, want %v", p, i, dx[i], want)
			}
		}
		DropoutForward(seed+1, p, x, again)
		same := 0
		for i := range y {
			if (y[i] == 0) == (again[i] == 0) {
				same++
			}
		}
		if same == n {
			t.Errorf("p=%v: seeds %d and %d give the same mask", p, seed, seed+1)
		}
	}
	y := make([]T, n)
	DropoutForward(1, 0, x, y)
	expectIdentical(t, "p=0", y, x)
	DropoutForward(1, 1, x, y)
	expectIdentical(t, "p=1", y, make([]T, n))
}

func TestDropoutFloat64(t *testing.T) { testDropout[float64](t) }
func TestDropoutFloat32(t *testing.T) { testDropout[float32](t) }

func TestDropoutDeterministicAcrossGOMAXPROCS(t *testing.T) {
	x := asType[float32](uniformSlice(rand.New(rand.NewPCG(52, 53)), 5*elementGrain+3, -1, 1))
	var ys [2][]float32
	for i, procs := range []int{1, 2} {
		ys[i] = make([]float32, len(x))
		atProcs(procs, func() { DropoutForward(99, 0.3, x, ys[i]) })
	}
	expectIdentical(t, "y", ys[0], ys[1])
}

// The dropout after LeNet's first linear layer (64×128) and a larger one.
func BenchmarkDropoutForward(b *testing.B) {
	for _, tc := range []struct {
		name string
		n    int
	}{{"64x128", 64 * 128}, {"64x32x24x24", 64 * 32 * 24 * 24}} {
		n := tc.n
		b.Run(tc.name, func(b *testing.B) {
			x, y := make([]float32, n), make([]float32, n)
			for b.Loop() {
				DropoutForward(7, 0.5, x, y)
			}
			reportBandwidth(b, 2*4*n)
		})
	}
}
