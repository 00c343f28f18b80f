package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// Helpers shared by the layer-kernel tests (conv, pool, batch norm, activations,
// dropout, softmax cross-entropy): references are computed in float64 and each
// kernel runs on copies in its own element type.

// uniformSlice returns n values drawn uniformly from [lo, hi).
func uniformSlice(rng *rand.Rand, n int, lo, hi float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = lo + (hi-lo)*rng.Float64()
	}
	return x
}

// asType copies x into a new slice of T.
func asType[T Float](x []float64) []T {
	y := make([]T, len(x))
	for i, v := range x {
		y[i] = T(v)
	}
	return y
}

// toFloat64s copies x into a new float64 slice.
func toFloat64s[T Float](x []T) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// typeTolerance is the (rtol, atol) a kernel result in T must meet against a
// float64 reference of moderate size.
func typeTolerance[T Float]() (rtol, atol float64) {
	if isFloat32[T]() {
		return 2e-5, 2e-5
	}
	return 1e-12, 1e-12
}

func isFloat32[T Float]() bool {
	_, ok := any(T(0)).(float32)
	return ok
}

// expectClose fails t at the first element where got differs from want by more
// than atol + rtol·|want|; equal infinities pass, NaN never does.
func expectClose[T Float](t testing.TB, what string, got []T, want []float64, rtol, atol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i, w := range want {
		if d := math.Abs(float64(got[i]) - w); !(d <= atol+rtol*math.Abs(w)) && float64(got[i]) != w {
			t.Fatalf("%s[%d] = %.10g, want %.10g (|diff| %.3g)", what, i, got[i], w, d)
		}
	}
}

// expectIdentical fails t unless a and b hold the same bits.
func expectIdentical[T Float](t testing.TB, what string, a, b []T) {
	t.Helper()
	for i := range a {
		if math.Float64bits(float64(a[i])) != math.Float64bits(float64(b[i])) {
			t.Fatalf("%s[%d]: %v in one run, %v in the other", what, i, a[i], b[i])
		}
	}
}

// atProcs runs fn under GOMAXPROCS = procs.
func atProcs(procs int, fn func()) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	fn()
}

// dot is Σ a·b in float64, the scalar loss whose gradients the finite-difference
// checks compare: for y = f(x) and a fixed random g, d(g·y)/dx is the backward
// pass of f applied to g.
func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// finiteDifference returns the central difference (f(x+h·eᵢ) − f(x−h·eᵢ))/2h
// for every i, restoring x.
func finiteDifference(x []float64, h float64, f func() float64) []float64 {
	grad := make([]float64, len(x))
	for i := range x {
		v := x[i]
		x[i] = v + h
		up := f()
		x[i] = v - h
		down := f()
		x[i] = v
		grad[i] = (up - down) / (2 * h)
	}
	return grad
}

// reportBandwidth reports GB/s for a kernel that moves bytes per call.
func reportBandwidth(b *testing.B, bytes int) {
	b.ReportMetric(float64(bytes)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

func testElementwise[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 2*elementGrain + 37
	a, b := uniformSlice(rng, n, -1, 1), uniformSlice(rng, n, -1, 1)
	rtol, atol := typeTolerance[T]()

	sum := make([]float64, n)
	for i := range sum {
		sum[i] = a[i] + b[i]
	}
	out := make([]T, n)
	Add(asType[T](a), asType[T](b), out)
	expectClose(t, "Add", out, sum, rtol, atol)
	x := asType[T](a)
	Add(x, asType[T](b), x)
	expectClose(t, "Add aliasing a", x, sum, rtol, atol)
	x = asType[T](a)
	AddTo(x, asType[T](b))
	expectClose(t, "AddTo", x, sum, rtol, atol)

	var want float64
	for _, v := range asType[T](a) {
		want += float64(v)
	}
	got := Sum(asType[T](a))
	expectClose(t, "Sum", []T{got}, []float64{want}, 1e-6, 1e-9)
	if Sum([]T{}) != 0 {
		t.Fatal("Sum of nothing is not 0")
	}

	for _, length := range []int{0, 1, 2, 3, 7, 64, 1000} {
		f := make([]T, length)
		fill(f, 2.5)
		for i, v := range f {
			if v != 2.5 {
				t.Fatalf("fill of %d: element %d is %v", length, i, v)
			}
		}
	}
}

func TestElementwiseFloat64(t *testing.T) { testElementwise[float64](t) }
func TestElementwiseFloat32(t *testing.T) { testElementwise[float32](t) }

func TestSumDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := asType[float32](uniformSlice(rng, 5*elementGrain+11, -1e3, 1e3))
	var sums [2]float32
	for i, procs := range []int{1, 2} {
		atProcs(procs, func() { sums[i] = Sum(x) })
	}
	expectIdentical(t, "Sum", sums[:1], sums[1:])
}

func BenchmarkAdd(b *testing.B) {
	n := 64 * 32 * 24 * 24
	x, y, out := make([]float32, n), make([]float32, n), make([]float32, n)
	for b.Loop() {
		Add(x, y, out)
	}
	reportBandwidth(b, 3*4*n)
}

func BenchmarkSum(b *testing.B) {
	x := make([]float32, 64*32*24*24)
	for b.Loop() {
		Sum(x)
	}
	reportBandwidth(b, 4*len(x))
}

// ReluBackwardSum is Add then ReluBackward, bit for bit, on every tail length
// and on zeros of both signs, NaN and infinities in y, and leaves the elements
// past the end alone; Add's result is the float sum.
func TestSumKernelsMatchComposition(t *testing.T) {
	testSumKernels[float32](t)
	testSumKernels[float64](t)
}

func testSumKernels[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(60, 61))
	special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1)}
	for _, n := range []int{0, 1, 7, 15, 16, 17, 31, 32, 33, 47, 48, 63, 100, elementGrain + 37} {
		y := asType[T](uniformSlice(rng, n, -1, 1))
		for i := 0; i < n; i += 3 {
			y[i] = T(special[i/3%len(special)])
		}
		a, b := asType[T](uniformSlice(rng, n+1, -1, 1)), asType[T](uniformSlice(rng, n+1, -1, 1))
		got, sum, want := make([]T, n+1), make([]T, n+1), make([]T, n+1)
		got[n], sum[n] = 42, 42
		ReluBackwardSum(y, a[:n], b[:n], got[:n])
		Add(a[:n], b[:n], sum[:n])
		for i := range n {
			if sum[i] != a[i]+b[i] {
				t.Fatalf("n=%d: Add[%d] = %v, want %v", n, i, sum[i], a[i]+b[i])
			}
		}
		ReluBackward(y, sum[:n], want[:n])
		want[n] = 42
		expectIdentical(t, fmt.Sprint("n=", n, " masked sum"), got, want)
		if sum[n] != 42 {
			t.Fatalf("n=%d: Add wrote past the end", n)
		}
	}
}
