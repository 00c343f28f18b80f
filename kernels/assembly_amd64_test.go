//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The layer kernels' Go loops, which other CPUs and the noasm build run, pass the
// same tests as their AVX-512 versions.
func TestLayerKernelsWithoutAssembly(t *testing.T) {
	defer func(rows, act, pool, bn, sums bool) {
		rowsAVX512, activationAVX512, poolAVX512, batchNormAVX512, elementwiseAVX512 = rows, act, pool, bn, sums
	}(rowsAVX512, activationAVX512, poolAVX512, batchNormAVX512, elementwiseAVX512)
	rowsAVX512, activationAVX512, poolAVX512, batchNormAVX512, elementwiseAVX512 = false, false, false, false, false
	for _, test := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"rows32", testRowKernels[float32]},
		{"rows64", testRowKernels[float64]},
		{"strided_rows32", testStridedRowKernels[float32]},
		{"conv32", func(t *testing.T) { testConvMatchesNaive[float32](t, append(convTestShapes, convStridedShapes...)) }},
		{"pool32", testPoolMatchesNaive[float32]},
		{"pool_special32", testMaxPoolSpecialValues[float32]},
		{"pool_signed_zero", TestMaxPoolSignedZeroTie},
		{"activations", TestActivationsMatchDefinition},
		{"relu_nan", TestReluGradientsAtNaN},
		{"tanh_sigmoid_ulp", TestFloat32TanhSigmoidWithinOneUlp},
		{"batch_norm32", testBatchNormForward[float32]},
		{"batch_norm_relu32", testBatchNormReluMatchesComposition[float32]},
		{"relu_epilogues32", testReluEpilogues[float32]},
		{"batch_norm_add_relu32", testBatchNormAddReluMatchesComposition[float32]},
		{"batch_norm_add_batch_norm_relu32", testBatchNormAddBatchNormReluMatchesComposition[float32]},
		{"sums", TestSumKernelsMatchComposition},
		{"layer_golden", TestGoldenLayerKernels},
	} {
		t.Run(test.name, test.fn)
	}
}

// The batch-norm row kernels in assembly agree with their Go loops on every
// tail length (the sums to float32 rounding of short partial sums), and leave
// the elements past the row alone.
func TestBatchNormRowKernelsMatchGo(t *testing.T) {
	defer func(v bool) { batchNormAVX512 = v }(batchNormAVX512)
	rng := rand.New(rand.NewPCG(36, 37))
	for _, n := range []int{0, 1, 7, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 63, 64, 65, 100, 577} {
		x := asType[float32](uniformSlice(rng, n+1, 2, 5))
		dy := asType[float32](uniformSlice(rng, n+1, -1, 1))
		var s, q, a, b, ra, rb [2]float64
		var y, dx, rdx, ay [2][]float32
		g := make([]float32, n)
		r := asType[float32](uniformSlice(rng, n+1, -1, 1))
		if n > 2 {
			r[n/2] = float32(math.NaN()) // stays NaN through the ReLU
		}
		for i, useAsm := range []bool{false, true} {
			batchNormAVX512 = useAsm
			s[i], q[i] = shiftedSums(x[:n], 3.25)
			a[i], b[i] = gradientSums(x[:n], dy[:n], 3.5)
			y[i], dx[i] = make([]float32, n+1), make([]float32, n+1)
			y[i][n], dx[i][n] = 42, 42
			normalizeRow(x[:n], y[i][:n], 3.5, 1.25, -0.5)
			batchNormDataChannel(1, 1, n, 0, x[:n], nil, dy[:n], 3.5, 1.25, 0.75, -2.5, dx[i][:n])
			ra[i], rb[i] = reluGradientSums(x[:n], dy[:n], g, 3.5, 1.25, -0.5)
			rdx[i] = make([]float32, n+1)
			rdx[i][n] = 42
			reluDataRow(x[:n], dy[:n], rdx[i][:n], g, 3.5, 1.25, -0.5, 0.75, -2.5, 0.3)
			ay[i] = make([]float32, n+1)
			ay[i][n] = 42
			normalizeAddReluRow(x[:n], r[:n], ay[i][:n], 3.5, 1.25, -0.5, false)
		}
		name := fmt.Sprint("n=", n)
		for _, c := range []struct {
			what      string
			got, want float64
		}{{"Σ(x−shift)", s[1], s[0]}, {"Σ(x−shift)²", q[1], q[0]}, {"Σdy", a[1], a[0]}, {"Σdy·(x−mean)", b[1], b[0]},
			{"Σ masked dy", ra[1], ra[0]}, {"Σ masked dy·(x−mean)", rb[1], rb[0]}} {
			// The assembly sums blocks of four values a lane in float32
			// (terms below 4 here): up to an ulp of such a sum per block.
			if math.Abs(c.got-c.want) > 1e-6*float64(n+1) {
				t.Errorf("%s %s: assembly %v, Go %v", name, c.what, c.got, c.want)
			}
		}
		expectClose(t, name+" y", y[1], toFloat64s(y[0]), 1e-6, 1e-6)
		expectClose(t, name+" dx", dx[1], toFloat64s(dx[0]), 1e-6, 1e-6)
		expectClose(t, name+" masked dx", rdx[1], toFloat64s(rdx[0]), 1e-6, 1e-6)
		if n > 2 {
			for i := range ay {
				if v := ay[i][n/2]; v == v {
					t.Errorf("%s: normalized + NaN, ReLU = %v (assembly %t), want NaN", name, v, i == 1)
				}
				ay[i][n/2] = 0
			}
		}
		expectClose(t, name+" normalized + r, ReLU", ay[1], toFloat64s(ay[0]), 1e-6, 1e-6)
	}
}

// The forward batch-norm kernels write the same bits by non-temporal stores
// as by ordinary ones, on 64-byte aligned rows of every tail length, NaN
// included, and leave the element past the row alone; normalizeReluAsm is
// normalizeRow then reluRow bit for bit.
func TestStreamedRowsMatchCached(t *testing.T) {
	if !batchNormAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(40, 41))
	aligned := func(n int) []float32 {
		b := make([]float32, n+32)
		for len(b) > 0 && !aligned64(b) {
			b = b[1:]
		}
		return b[:n+1]
	}
	for _, n := range []int{16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 577, 1024} {
		x := asType[float32](uniformSlice(rng, n, -2, 5))
		r := asType[float32](uniformSlice(rng, n, -1, 1))
		x[n/3], r[n/2] = float32(math.NaN()), float32(math.NaN())
		type row func(y []float32, stream bool)
		for _, k := range []struct {
			name string
			run  row
			want func(y []float32)
		}{
			{"normalize, ReLU", func(y []float32, stream bool) { normalizeReluAsm(x, y, 3.5, 1.25, -0.5, stream) },
				func(y []float32) { normalizeRow(x, y, 3.5, 1.25, -0.5); reluRow(y, y) }},
			{"normalize + r, ReLU", func(y []float32, stream bool) { normalizeAddReluAsm(x, r, y, 3.5, 1.25, -0.5, stream) }, nil},
			{"normalize + normalized r, ReLU", func(y []float32, stream bool) {
				normalize2AddReluAsm(x, r, y, 3.5, 1.25, -0.5, 0.25, 0.5, 0.125, stream)
			}, nil},
		} {
			var got [2][]float32
			for i, stream := range []bool{false, true} {
				got[i] = aligned(n)
				got[i][n] = 42
				k.run(got[i][:n], stream)
				storeFence()
				if got[i][n] != 42 {
					t.Errorf("%s n=%d stream %t: wrote past the row", k.name, n, stream)
				}
			}
			if k.want != nil {
				want := make([]float32, n)
				k.want(want)
				expectSameFloats(t, fmt.Sprintf("%s n=%d cached", k.name, n), got[0][:n], want)
			}
			expectSameFloats(t, fmt.Sprintf("%s n=%d streamed", k.name, n), got[1][:n], got[0][:n])
		}
	}
}

// The float32 sigmoid, tanh and leaky ReLU in assembly agree with their Go
// loops on every tail length (σ and tanh to an ulp, leaky ReLU exactly) and
// leave the elements past the row alone.
func TestActivationKernelsMatchGo(t *testing.T) {
	defer func(v bool) { activationAVX512 = v }(activationAVX512)
	rng := rand.New(rand.NewPCG(38, 39))
	for n := 0; n <= 40; n++ {
		x := asType[float32](uniformSlice(rng, n+1, -6, 6))
		dy := asType[float32](uniformSlice(rng, n+1, -1, 1))
		var out [2][3][]float32
		for i, useAsm := range []bool{false, true} {
			activationAVX512 = useAsm
			for k := range out[i] {
				out[i][k] = make([]float32, n+1)
				out[i][k][n] = 42
			}
			SigmoidForward(x[:n], out[i][0][:n])
			TanhForward(x[:n], out[i][1][:n])
			LeakyReluBackward(0.01, x[:n], dy[:n], out[i][2][:n])
		}
		for k, name := range []string{"sigmoid", "tanh"} {
			for j := range out[0][k] {
				if ulpDistance(out[1][k][j], out[0][k][j]) > 1 {
					t.Errorf("n=%d %s[%d]: assembly %v, Go %v", n, name, j, out[1][k][j], out[0][k][j])
				}
			}
		}
		expectIdentical(t, fmt.Sprint("n=", n, " leaky relu"), out[1][2], out[0][2])
	}
}

// The Adam update and the finiteness check in assembly agree with their Go
// loops bit for bit on every tail length, and leave the elements past the
// slice alone; the Go loops pass the optimizer tests on their own.
func TestOptimizerKernelsMatchGo(t *testing.T) {
	defer func(v bool) { optimAVX512 = v }(optimAVX512)
	optimAVX512 = false
	t.Run("go_loops", TestOptimKernelsFloat32)
	rng := rand.New(rand.NewPCG(40, 41))
	for n := 0; n <= 70; n++ {
		w0 := asType[float32](uniformSlice(rng, n+1, -1, 1))
		g := asType[float32](uniformSlice(rng, n+1, -1, 1))
		m0 := asType[float32](uniformSlice(rng, n+1, -0.1, 0.1))
		v0 := asType[float32](uniformSlice(rng, n+1, 0, 0.01))
		for i := 0; i < n; i += 3 { // state about to turn subnormal, flushed on both sides
			w0[i], g[i], m0[i], v0[i] = 0, 0, float32(1+i%2)*1.2e-38, 1.3e-38
		}
		var w, m, v [2][]float32
		for i, useAsm := range []bool{false, true} {
			optimAVX512 = useAsm
			w[i], m[i], v[i] = append([]float32(nil), w0...), append([]float32(nil), m0...), append([]float32(nil), v0...)
			adamUpdate(w[i][:n], g[:n], m[i][:n], v[i][:n], nil, 1e-3, 0.9, 0.999, 1e-8, 0.01, 0.999, 7)
		}
		name := fmt.Sprint("n=", n)
		expectIdentical(t, name+" w", w[1], w[0])
		expectIdentical(t, name+" m", m[1], m[0])
		expectIdentical(t, name+" v", v[1], v[0])
		if n == 0 {
			continue
		}
		partial := make([]float64, Chunks(n, OptimGrain))
		for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32} {
			x := append([]float32(nil), w0[:n]...)
			at := rng.IntN(n)
			x[at] = bad
			for _, useAsm := range []bool{false, true} {
				optimAVX512 = useAsm
				want := bad == math.MaxFloat32
				if got := AllFinite(x, partial); got != want {
					t.Errorf("%s assembly %v: AllFinite with %v at %d = %v", name, useAsm, bad, at, got)
				}
			}
		}
	}
}
