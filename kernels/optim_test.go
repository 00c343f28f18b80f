package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// optimLen spans several OptimGrain chunks plus a partial one.
const optimLen = 2*OptimGrain + 123

// closeTo fails t when got and want differ by more than atol + rtol·|want| anywhere.
func closeTo[T Float](t *testing.T, what string, got []T, want []float64, rtol, atol float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= atol+rtol*math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// optimCase holds one kernel's inputs: a weight, a gradient and up to three
// non-negative state vectors, as float64 masters that each dtype copies.
type optimCase struct{ w, g, s1, s2, s3 []float64 }

func newOptimCase(seed uint64) optimCase {
	rng := rand.New(rand.NewPCG(seed, 7))
	return optimCase{
		w:  uniformSlice(rng, optimLen, -2, 2),
		g:  uniformSlice(rng, optimLen, -1, 1),
		s1: uniformSlice(rng, optimLen, 0.1, 1),
		s2: uniformSlice(rng, optimLen, 0.1, 1),
		s3: uniformSlice(rng, optimLen, 0.1, 1),
	}
}

func tolerances[T Float]() (rtol, atol float64) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		return 1e-5, 1e-6
	}
	return 1e-12, 1e-14
}

func testOptimKernels[T Float](t *testing.T) {
	rtol, atol := tolerances[T]()
	c := newOptimCase(1)
	n := optimLen

	t.Run("SGD", func(t *testing.T) {
		for _, tc := range []struct {
			momentum, dampening float64
			nesterov, first     bool
		}{{0, 0, false, false}, {0.9, 0.1, false, false}, {0.9, 0, true, false}, {0.9, 0.3, false, true}} {
			t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
				lr, wd := 0.05, 0.01
				w, g := asType[T](c.w), asType[T](c.g)
				var buf []T
				if tc.momentum != 0 {
					buf = asType[T](c.s1)
				}
				SGD(w, g, buf, lr, tc.momentum, tc.dampening, wd, tc.nesterov, tc.first)
				wantW, wantB := make([]float64, n), make([]float64, n)
				for i := range n {
					d := c.g[i] + wd*c.w[i]
					step := d
					if tc.momentum != 0 {
						b := d
						if !tc.first {
							b = tc.momentum*c.s1[i] + (1-tc.dampening)*d
						}
						wantB[i] = b
						step = b
						if tc.nesterov {
							step = d + tc.momentum*b
						}
					}
					wantW[i] = c.w[i] - lr*step
				}
				closeTo(t, "w", w, wantW, rtol, atol)
				if buf != nil {
					closeTo(t, "buf", buf, wantB, rtol, atol)
				}
			})
		}
	})

	t.Run("Adagrad", func(t *testing.T) {
		clr, wd, eps := 0.1, 0.02, 1e-10
		w, g, sum := asType[T](c.w), asType[T](c.g), asType[T](c.s1)
		Adagrad(w, g, sum, clr, wd, eps)
		for i := range n {
			d := c.g[i] + wd*c.w[i]
			s := c.s1[i] + d*d
			closeTo(t, "sum", sum[i:i+1], []float64{s}, rtol, atol)
			closeTo(t, "w", w[i:i+1], []float64{c.w[i] - clr*d/(math.Sqrt(s)+eps)}, rtol, atol)
		}
	})

	t.Run("Adadelta", func(t *testing.T) {
		lr, rho, eps, wd := 1.0, 0.9, 1e-6, 0.01
		w, g, sq, acc := asType[T](c.w), asType[T](c.g), asType[T](c.s1), asType[T](c.s2)
		Adadelta(w, g, sq, acc, lr, rho, eps, wd)
		for i := range n {
			d := c.g[i] + wd*c.w[i]
			s := rho*c.s1[i] + (1-rho)*d*d
			// Zeiler's ratio of RMS values: RMS[Δθ]_{t−1} / RMS[g]_t.
			delta := math.Sqrt((c.s2[i]+eps)/(s+eps)) * d
			a := rho*c.s2[i] + (1-rho)*delta*delta
			closeTo(t, "square_avg", sq[i:i+1], []float64{s}, rtol, atol)
			closeTo(t, "acc_delta", acc[i:i+1], []float64{a}, rtol, atol)
			closeTo(t, "w", w[i:i+1], []float64{c.w[i] - lr*delta}, rtol, atol)
		}
	})

	t.Run("RMSProp", func(t *testing.T) {
		for _, tc := range []struct {
			centered bool
			momentum float64
		}{{false, 0}, {true, 0}, {false, 0.8}, {true, 0.8}} {
			t.Run(fmt.Sprintf("%+v", tc), func(t *testing.T) {
				lr, alpha, eps, wd := 0.01, 0.99, 1e-8, 0.03
				// The centered variance needs gradAvg² < squareAvg, as a real history gives.
				ga := make([]float64, n)
				for i := range ga {
					ga[i] = 0.5 * math.Sqrt(c.s1[i])
				}
				w, g, sq := asType[T](c.w), asType[T](c.g), asType[T](c.s1)
				var gaT, buf []T
				if tc.centered {
					gaT = asType[T](ga)
				}
				if tc.momentum != 0 {
					buf = asType[T](c.s3)
				}
				RMSProp(w, g, sq, gaT, buf, lr, alpha, eps, wd, tc.momentum)
				for i := range n {
					d := c.g[i] + wd*c.w[i]
					s := alpha*c.s1[i] + (1-alpha)*d*d
					variance := s
					if tc.centered {
						m := alpha*ga[i] + (1-alpha)*d
						variance -= m * m
						closeTo(t, "grad_avg", gaT[i:i+1], []float64{m}, rtol, atol)
					}
					step := d / (math.Sqrt(variance) + eps)
					if tc.momentum != 0 {
						step += tc.momentum * c.s3[i]
						closeTo(t, "momentum_buffer", buf[i:i+1], []float64{step}, rtol, atol)
					}
					closeTo(t, "square_avg", sq[i:i+1], []float64{s}, rtol, atol)
					closeTo(t, "w", w[i:i+1], []float64{c.w[i] - lr*step}, rtol, 10*atol)
				}
			})
		}
	})

	for _, decoupled := range []bool{false, true} {
		for _, amsgrad := range []bool{false, true} {
			t.Run(fmt.Sprintf("Adam/decoupled=%v/amsgrad=%v", decoupled, amsgrad), func(t *testing.T) {
				lr, b1, b2, eps, wd := 0.01, 0.9, 0.999, 1e-8, 0.05
				step := int64(3)
				w, g, m, v := asType[T](c.w), asType[T](c.g), asType[T](c.s1), asType[T](c.s2)
				vmaxStart := make([]float64, n)
				for i := range vmaxStart {
					vmaxStart[i] = c.s3[i] * (0.5 + float64(i%2)) // some below v, some above
				}
				var vmax []T
				if amsgrad {
					vmax = asType[T](vmaxStart)
				}
				if decoupled {
					AdamW(w, g, m, v, vmax, lr, b1, b2, eps, wd, step)
				} else {
					Adam(w, g, m, v, vmax, lr, b1, b2, eps, wd, step)
				}
				for i := range n {
					w0, d := c.w[i], c.g[i]
					if decoupled {
						w0 *= 1 - lr*wd
					} else {
						d += wd * w0
					}
					mi := b1*c.s1[i] + (1-b1)*d
					vi := b2*c.s2[i] + (1-b2)*d*d
					second := vi
					if amsgrad {
						second = math.Max(vmaxStart[i], vi)
						closeTo(t, "max_exp_avg_sq", vmax[i:i+1], []float64{second}, rtol, atol)
					}
					// Kingma & Ba's bias-corrected moments.
					mHat := mi / (1 - math.Pow(b1, float64(step)))
					vHat := second / (1 - math.Pow(b2, float64(step)))
					closeTo(t, "exp_avg", m[i:i+1], []float64{mi}, rtol, atol)
					closeTo(t, "exp_avg_sq", v[i:i+1], []float64{vi}, rtol, atol)
					closeTo(t, "w", w[i:i+1], []float64{w0 - lr*mHat/(math.Sqrt(vHat)+eps)}, rtol, 10*atol)
				}
			})
		}
	}

	t.Run("PenaltyGrad", func(t *testing.T) {
		wm := append([]float64{0}, c.w...) // sign(0) = 0
		gm := append([]float64{0.25}, c.g...)
		for _, l1 := range []float64{0, 0.1} {
			w, g := asType[T](wm), asType[T](gm)
			const l2 = 0.02
			PenaltyGrad(w, g, l1, l2)
			want := make([]float64, len(wm))
			for i, x := range wm {
				sign := 0.0
				if x > 0 {
					sign = 1
				} else if x < 0 {
					sign = -1
				}
				want[i] = gm[i] + l1*sign + l2*x
			}
			closeTo(t, "g", g, want, rtol, atol)
		}
	})

	t.Run("Reductions", func(t *testing.T) {
		x := asType[T](c.g)
		partial := make([]float64, Chunks(len(x), OptimGrain))
		var abs, sq float64
		for _, v := range x {
			abs += math.Abs(float64(v))
			sq += float64(v) * float64(v)
		}
		if got := SumAbs(x, partial); math.Abs(got-abs) > 1e-9*abs {
			t.Errorf("SumAbs = %v, want %v", got, abs)
		}
		if got := SumSquares(x, partial); math.Abs(got-sq) > 1e-9*sq {
			t.Errorf("SumSquares = %v, want %v", got, sq)
		}
		if !AllFinite(x, partial) {
			t.Error("AllFinite = false for finite values")
		}
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			for _, at := range []int{0, OptimGrain + 7, len(x) - 5, len(x) - 1} {
				y := append([]T(nil), x...)
				y[at] = T(bad)
				if AllFinite(y, partial) {
					t.Errorf("AllFinite = true with %v at %d", bad, at)
				}
			}
		}
	})

	t.Run("ClipScaleClamp", func(t *testing.T) {
		x := asType[T](c.w)
		ClipScale(x, 16, 2) // factor 2/(4+1e-6)
		want := make([]float64, n)
		for i, v := range c.w {
			want[i] = 2 / (4 + 1e-6) * v
		}
		closeTo(t, "ClipScale", x, want, rtol, atol)
		x = asType[T](c.w)
		ClipScale(x, 1, 2) // factor above 1: no change
		closeTo(t, "ClipScale below the norm", x, c.w, rtol, atol)
		x = asType[T](c.w)
		GradClamp(x, 0.75)
		for i, v := range c.w {
			want[i] = math.Max(-0.75, math.Min(0.75, v))
		}
		closeTo(t, "Clamp", x, want, rtol, atol)
	})
}

func TestOptimKernelsFloat64(t *testing.T) { testOptimKernels[float64](t) }
func TestOptimKernelsFloat32(t *testing.T) { testOptimKernels[float32](t) }

// TestOptimKernelsDeterministic checks that the result of an update and of a
// reduction is bit-identical whatever GOMAXPROCS is.
func TestOptimKernelsDeterministic(t *testing.T) {
	c := newOptimCase(2)
	run := func(procs int) ([]float32, float64) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		w, g, m, v, vmax := asType[float32](c.w), asType[float32](c.g), asType[float32](c.s1), asType[float32](c.s2), asType[float32](c.s3)
		Adam(w, g, m, v, vmax, 0.01, 0.9, 0.999, 1e-8, 0.01, 5)
		return w, SumSquares(w, make([]float64, Chunks(len(w), OptimGrain)))
	}
	w1, s1 := run(1)
	w4, s4 := run(4)
	if s1 != s4 {
		t.Errorf("SumSquares differs: %v with 1 goroutine, %v with 4", s1, s4)
	}
	for i := range w1 {
		if w1[i] != w4[i] {
			t.Fatalf("w[%d] differs: %v vs %v", i, w1[i], w4[i])
		}
	}
}

// TestOptimizerStateFlushesSubnormals: where the gradient is zero, every
// geometrically decaying state shrinks toward zero; it must reach +0 instead
// of running through subnormals, in float32 and float64, and never hold one.
func TestOptimizerStateFlushesSubnormals(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testStateFlush[float32](t, 0x1p-126) })
	t.Run("float64", func(t *testing.T) { testStateFlush[float64](t, 0x1p-1022) })
}

// testStateFlush starts every state at one to three times the smallest normal
// number minNormal, of either sign.
func testStateFlush[T Float](t *testing.T, minNormal T) {
	const n = 37 // a masked tail in the assembly loop
	type optimizer struct {
		update   func(w, g []T, state [][]T)
		decaying int    // the first decaying states decay; AMSGrad's maximum does not
		signed   []bool // the states that may be negative (not the squares)
	}
	first, middle := []bool{true}, []bool{false, true, true}
	for name, o := range map[string]optimizer{
		"SGD momentum": {func(w, g []T, s [][]T) { SGD(w, g, s[0], 0.1, 0.9, 0, 0, false, false) }, 1, first},
		"SGD Nesterov": {func(w, g []T, s [][]T) { SGD(w, g, s[0], 0.1, 0.9, 0, 0, true, false) }, 1, first},
		"Adadelta":     {func(w, g []T, s [][]T) { Adadelta(w, g, s[0], s[1], 1, 0.9, 1e-6, 0) }, 2, nil},
		"RMSProp":      {func(w, g []T, s [][]T) { RMSProp(w, g, s[0], s[1], s[2], 0.01, 0.99, 1e-8, 0, 0.9) }, 3, middle},
		"Adam":         {func(w, g []T, s [][]T) { Adam(w, g, s[0], s[1], nil, 1e-3, 0.9, 0.999, 1e-8, 0, 3) }, 2, first},
		"AdamW":        {func(w, g []T, s [][]T) { AdamW(w, g, s[0], s[1], nil, 1e-3, 0.9, 0.999, 1e-8, 0.01, 3) }, 2, first},
		"AMSGrad":      {func(w, g []T, s [][]T) { Adam(w, g, s[0], s[1], s[2], 1e-3, 0.9, 0.999, 1e-8, 0, 3) }, 2, first},
	} {
		w, g := make([]T, n), make([]T, n)
		state := make([][]T, 3)
		for k := range state {
			state[k] = make([]T, n)
			for i := range state[k] {
				state[k][i] = minNormal * T(1+i%3)
				if k < len(o.signed) && o.signed[k] && i%2 == 1 {
					state[k][i] = -state[k][i]
				}
			}
		}
		for i := range w {
			w[i] = 1
		}
		const steps = 1200 // 3·minNormal decays below minNormal in 1,099 steps at 0.999
		for step := 0; step < steps; step++ {
			o.update(w, g, state)
			for k, s := range state {
				for i, v := range s {
					if v != 0 && math.Abs(float64(v)) < float64(minNormal) {
						t.Fatalf("%s step %d: state %d [%d] = %g is subnormal", name, step, k, i, float64(v))
					}
				}
			}
		}
		for k, s := range state[:o.decaying] {
			for i, v := range s {
				if v != 0 || math.Signbit(float64(v)) {
					t.Errorf("%s: state %d [%d] = %g after %d steps of zero gradient, want +0", name, k, i, float64(v), steps)
				}
			}
		}
	}
}

// benchmarkOptim reports parameters updated per second for a 1M-element float32 tensor.
func benchmarkOptim(b *testing.B, update func(w, g, s1, s2, s3 []float32)) {
	c := newOptimCase(3)
	const n = 1 << 20
	grow := func(x []float64) []float32 {
		y := make([]float32, n)
		for i := range y {
			y[i] = float32(x[i%len(x)])
		}
		return y
	}
	w, g, s1, s2, s3 := grow(c.w), grow(c.g), grow(c.s1), grow(c.s2), grow(c.s3)
	b.ResetTimer()
	for b.Loop() {
		update(w, g, s1, s2, s3)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "params/s")
}

func BenchmarkSGDMomentum(b *testing.B) {
	benchmarkOptim(b, func(w, g, s1, _, _ []float32) { SGD(w, g, s1, 1e-6, 0.9, 0, 0, false, false) })
}

func BenchmarkAdagrad(b *testing.B) {
	benchmarkOptim(b, func(w, g, s1, _, _ []float32) { Adagrad(w, g, s1, 1e-6, 0, 1e-10) })
}

func BenchmarkAdadelta(b *testing.B) {
	benchmarkOptim(b, func(w, g, s1, s2, _ []float32) { Adadelta(w, g, s1, s2, 1e-6, 0.9, 1e-6, 0) })
}

func BenchmarkRMSProp(b *testing.B) {
	benchmarkOptim(b, func(w, g, s1, _, _ []float32) { RMSProp(w, g, s1, nil, nil, 1e-6, 0.99, 1e-8, 0, 0) })
}

func BenchmarkAdam(b *testing.B) {
	benchmarkOptim(b, func(w, g, s1, s2, _ []float32) { Adam(w, g, s1, s2, nil, 1e-6, 0.9, 0.999, 1e-8, 0, 10) })
}

func BenchmarkAdamW(b *testing.B) {
	benchmarkOptim(b, func(w, g, s1, s2, _ []float32) { AdamW(w, g, s1, s2, nil, 1e-6, 0.9, 0.999, 1e-8, 0.01, 10) })
}
