package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// activationLen spans two elementGrain chunks and a partial one.
const activationLen = 2*elementGrain + 77

// activationInput mixes random values with the special ones: signed zeros,
// infinities, large magnitudes, and values next to zero.
func activationInput(rng *rand.Rand) []float64 {
	x := uniformSlice(rng, activationLen, -4, 4)
	copy(x, []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1e-30, -1e-30, 50, -50, 800, -800})
	return x
}

type activation struct {
	name     string
	forward  func(x float64) float64
	backward func(x, y, dy float64) float64 // the reference gradient
	run      func(x, dy []float64) (y, dx []float64)
	run32    func(x, dy []float32) (y, dx []float32)
}

func activationKernels[T Float](fwd func(x, y []T), bwd func(x, y, dy, dx []T)) func(x, dy []T) (y, dx []T) {
	return func(x, dy []T) (y, dx []T) {
		y, dx = make([]T, len(x)), make([]T, len(x))
		fwd(x, y)
		bwd(x, y, dy, dx)
		return y, dx
	}
}

const leakySlope = 0.01

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

var activations = []activation{
	{
		name:    "relu",
		forward: func(x float64) float64 { return math.Max(x, 0) },
		backward: func(x, _, dy float64) float64 {
			if x <= 0 {
				return 0
			}
			return dy
		},
		run:   activationKernels(ReluForward[float64], func(x, _, dy, dx []float64) { ReluBackward(x, dy, dx) }),
		run32: activationKernels(ReluForward[float32], func(x, _, dy, dx []float32) { ReluBackward(x, dy, dx) }),
	},
	{
		name: "leaky_relu",
		forward: func(x float64) float64 {
			if x > 0 {
				return x
			}
			return leakySlope * x
		},
		backward: func(x, _, dy float64) float64 {
			if x > 0 {
				return dy
			}
			return leakySlope * dy
		},
		run: activationKernels(func(x, y []float64) { LeakyReluForward(leakySlope, x, y) },
			func(x, _, dy, dx []float64) { LeakyReluBackward(leakySlope, x, dy, dx) }),
		run32: activationKernels(func(x, y []float32) { LeakyReluForward(leakySlope, x, y) },
			func(x, _, dy, dx []float32) { LeakyReluBackward(leakySlope, x, dy, dx) }),
	},
	{
		name:     "tanh",
		forward:  math.Tanh,
		backward: func(x, _, dy float64) float64 { return dy / (math.Cosh(x) * math.Cosh(x)) },
		run:      activationKernels(TanhForward[float64], func(_, y, dy, dx []float64) { TanhBackward(y, dy, dx) }),
		run32:    activationKernels(TanhForward[float32], func(_, y, dy, dx []float32) { TanhBackward(y, dy, dx) }),
	},
	{
		name:    "sigmoid",
		forward: sigmoid,
		backward: func(x, _, dy float64) float64 {
			e := math.Exp(-math.Abs(x))
			return dy * e / ((1 + e) * (1 + e))
		},
		run:   activationKernels(SigmoidForward[float64], func(_, y, dy, dx []float64) { SigmoidBackward(y, dy, dx) }),
		run32: activationKernels(SigmoidForward[float32], func(_, y, dy, dx []float32) { SigmoidBackward(y, dy, dx) }),
	},
}

// The kernels match the definitions elementwise, infinities and signed zeros
// included, and the gradients hold where the definition's formula is finite.
func TestActivationsMatchDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(40, 41))
	for _, a := range activations {
		x := activationInput(rng)
		dy := uniformSlice(rng, len(x), -1, 1)
		wantY, wantDx := make([]float64, len(x)), make([]float64, len(x))
		for i, v := range x {
			wantY[i] = a.forward(v)
			wantDx[i] = a.backward(v, wantY[i], dy[i])
		}
		// tanh' and σ' from the output lose their relative precision where
		// the output saturates; the absolute error stays at rounding level.
		y, dx := a.run(x, dy)
		expectClose(t, a.name+" float64 y", y, wantY, 1e-15, 0)
		expectClose(t, a.name+" float64 dx", dx, wantDx, 1e-14, 1e-15)
		y32, dx32 := a.run32(asType[float32](x), asType[float32](dy))
		expectClose(t, a.name+" float32 y", y32, toFloat64s(asType[float32](wantY)), 1e-6, 1e-38)
		expectClose(t, a.name+" float32 dx", dx32, wantDx, 1e-6, 1e-6)
	}
}

// Tiny sigmoid outputs keep their relative precision (no 1 − σ(−x) cancellation).
func TestSigmoidLargeMagnitudes(t *testing.T) {
	x := []float64{-30, -80, -700, 30, 745, -745}
	y := make([]float64, len(x))
	SigmoidForward(x, y)
	for i, v := range x {
		want := math.Exp(v) / (1 + math.Exp(v))
		if v > 0 {
			want = 1 / (1 + math.Exp(-v))
		}
		if math.Abs(y[i]-want) > 1e-15*want || math.IsNaN(y[i]) {
			t.Errorf("σ(%v) = %v, want %v", v, y[i], want)
		}
	}
	y32 := make([]float32, 3)
	SigmoidForward([]float32{-60, 60, -1e30}, y32)
	if want := float32(math.Exp(-60)); math.Abs(float64(y32[0]-want)) > 1e-6*float64(want) || y32[1] != 1 || y32[2] != 0 {
		t.Errorf("float32 σ(−60, 60, −1e30) = %v, want [%v 1 0]", y32, want)
	}
}

// NaN flows through the forward passes as in PyTorch.
func TestActivationsPropagateNaN(t *testing.T) {
	for _, a := range activations {
		y, _ := a.run([]float64{math.NaN()}, []float64{1})
		y32, _ := a.run32([]float32{float32(math.NaN())}, []float32{1})
		if !math.IsNaN(y[0]) || !math.IsNaN(float64(y32[0])) {
			t.Errorf("%s(NaN) = %v, %v; want NaN", a.name, y[0], y32[0])
		}
	}
}

// The gradients at NaN inputs are PyTorch's: ReLU passes dy (NaN ≤ 0 is false),
// leaky ReLU scales it (NaN > 0 is false), whatever the NaN's sign.
func TestReluGradientsAtNaN(t *testing.T) {
	nans := []float64{math.NaN(), math.Float64frombits(0xfff8000000000000)}
	nans32 := []float32{float32(math.NaN()), math.Float32frombits(0xffc00000)}
	for i := 0; i < 2; i++ {
		x, x32 := []float64{nans[i], 1, -1}, []float32{nans32[i], 1, -1}
		dy, dy32 := []float64{2, 3, 4}, []float32{2, 3, 4}
		dx, dx32 := make([]float64, 3), make([]float32, 3)
		ReluBackward(x, dy, dx)
		ReluBackward(x32, dy32, dx32)
		if dx[0] != 2 || dx32[0] != 2 || dx[1] != 3 || dx[2] != 0 || dx32[2] != 0 {
			t.Errorf("ReLU gradient at %v: %v, %v; want [2 3 0]", x, dx, dx32)
		}
		LeakyReluBackward(0.5, x, dy, dx)
		LeakyReluBackward(0.5, x32, dy32, dx32)
		if dx[0] != 1 || dx32[0] != 1 || dx[1] != 3 || dx[2] != 2 || dx32[2] != 2 {
			t.Errorf("leaky ReLU gradient at %v: %v, %v; want [1 3 2]", x, dx, dx32)
		}
	}
}

// Central differences agree with the gradients away from the kinks.
func TestActivationGradientsMatchFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 43))
	x := uniformSlice(rng, 200, -4, 4)
	dy := uniformSlice(rng, len(x), -1, 1)
	for _, a := range activations {
		_, dx := a.run(x, dy)
		for i, v := range x {
			if math.Abs(v) < 1e-3 {
				continue
			}
			fd := (a.forward(v+1e-6) - a.forward(v-1e-6)) / 2e-6 * dy[i]
			if math.Abs(dx[i]-fd) > 1e-7 {
				t.Fatalf("%s'(%v)·%v = %v, finite difference %v", a.name, v, dy[i], dx[i], fd)
			}
		}
	}
}

func TestActivationsDeterministicAcrossGOMAXPROCS(t *testing.T) {
	x := asType[float32](activationInput(rand.New(rand.NewPCG(44, 45))))
	dy := asType[float32](uniformSlice(rand.New(rand.NewPCG(46, 47)), len(x), -1, 1))
	for _, a := range activations {
		var ys, dxs [2][]float32
		for i, procs := range []int{1, 2} {
			atProcs(procs, func() { ys[i], dxs[i] = a.run32(x, dy) })
		}
		expectIdentical(t, a.name+" y", ys[0], ys[1])
		expectIdentical(t, a.name+" dx", dxs[0], dxs[1])
	}
}

// LeNet's first activation: 64×32×24×24 float32 values of random sign.
func benchmarkActivation(b *testing.B, tensors int, run func(x, y, dx []float32)) {
	n := 64 * 32 * 24 * 24
	rng := rand.New(rand.NewPCG(1, 1))
	x := asType[float32](uniformSlice(rng, n, -1, 1))
	y, dx := asType[float32](uniformSlice(rng, n, -1, 1)), make([]float32, n)
	for b.Loop() {
		run(x, y, dx)
	}
	reportBandwidth(b, tensors*4*n)
}

func BenchmarkReluForward(b *testing.B) {
	benchmarkActivation(b, 2, func(x, y, _ []float32) { ReluForward(x, y) })
}

func BenchmarkReluBackward(b *testing.B) {
	benchmarkActivation(b, 3, func(x, dy, dx []float32) { ReluBackward(x, dy, dx) })
}

func BenchmarkLeakyReluForward(b *testing.B) {
	benchmarkActivation(b, 2, func(x, y, _ []float32) { LeakyReluForward(0.01, x, y) })
}

func BenchmarkLeakyReluBackward(b *testing.B) {
	benchmarkActivation(b, 3, func(x, dy, dx []float32) { LeakyReluBackward(0.01, x, dy, dx) })
}

func BenchmarkTanhForward(b *testing.B) {
	benchmarkActivation(b, 2, func(x, y, _ []float32) { TanhForward(x, y) })
}

func BenchmarkSigmoidForward(b *testing.B) {
	benchmarkActivation(b, 2, func(x, y, _ []float32) { SigmoidForward(x, y) })
}

func BenchmarkSigmoidBackward(b *testing.B) {
	benchmarkActivation(b, 3, func(y, dy, dx []float32) { SigmoidBackward(y, dy, dx) })
}
