//go:build gpu

package cuda_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
	"github.com/descent-ml/descent/kernels/ptx"
)

// These tests need a GPU: build them with scripts/gpu-check.sh.

func runtime(t *testing.T) *cuda.Runtime {
	t.Helper()
	rt, err := cuda.NewRuntime(0, ptx.Module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	t.Logf("%v, cuBLAS from %s", rt.Device, rt.BLAS.Library)
	return rt
}

func alloc(t *testing.T, rt *cuda.Runtime, x []float32) cuda.Ptr {
	t.Helper()
	p, err := rt.Alloc(int64(4 * len(x)))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Upload(p, x); err != nil {
		t.Fatal(err)
	}
	return p
}

func download(t *testing.T, rt *cuda.Runtime, p cuda.Ptr, n int) []float32 {
	t.Helper()
	out := make([]float32, n)
	if err := rt.Download(out, p); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeviceCount(t *testing.T) {
	n, err := cuda.DeviceCount()
	if err != nil || n < 1 {
		t.Fatalf("%d devices, %v", n, err)
	}
	if _, err := cuda.Open(n); err == nil {
		t.Errorf("Open(%d) of %d devices succeeded", n, n)
	}
}

func TestRoundTripAndLaunch(t *testing.T) {
	rt := runtime(t)
	x := []float32{1, -2, 3.5, float32(math.Inf(1)), 0}
	p := alloc(t, rt, x)
	if got := download(t, rt, p, len(x)); !equal(got, x) {
		t.Fatalf("round trip gives %v", got)
	}
	if err := rt.Launch(launch.Fill(p, 7, 3)); err != nil {
		t.Fatal(err)
	}
	if got, want := download(t, rt, p, len(x)), []float32{7, 7, 7, x[3], 0}; !equal(got, want) {
		t.Fatalf("after Fill of 3: %v, want %v", got, want)
	}
}

func TestErrorsNameTheCUDAError(t *testing.T) {
	rt := runtime(t)
	err := rt.Launch(cuda.Launch{Kernel: "NoSuchKernel", Grid: cuda.Dim3{X: 1}, Block: cuda.Dim3{X: 1}})
	var ce *cuda.Error
	if !errors.As(err, &ce) || ce.Name != "CUDA_ERROR_NOT_FOUND" {
		t.Fatalf("launching a missing kernel: %v", err)
	}
}

func TestGemmAgainstNaiveProduct(t *testing.T) {
	rt := runtime(t)
	r := rand.New(rand.NewPCG(1, 2))
	const m, n, k = 33, 17, 65
	a, b := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = r.Float32() - 0.5
	}
	for i := range b {
		b[i] = r.Float32() - 0.5
	}
	pa, pb, pc := alloc(t, rt, a), alloc(t, rt, b), alloc(t, rt, make([]float32, m*n))
	if err := launch.Gemm(rt, false, false, m, n, k, 1, pa, k, pb, n, 0, pc, n); err != nil {
		t.Fatal(err)
	}
	got := download(t, rt, pc, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want float64
			for p := 0; p < k; p++ {
				want += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			if math.Abs(float64(got[i*n+j])-want) > 1e-4 {
				t.Fatalf("C[%d,%d] = %v, want %v", i, j, got[i*n+j], want)
			}
		}
	}
}

// TestGraphReplaysCapturedWork captures an AddTo and replays it: each replay
// adds once more, and capture itself runs nothing.
func TestGraphReplaysCapturedWork(t *testing.T) {
	rt := runtime(t)
	acc, one := alloc(t, rt, []float32{0, 0, 0}), alloc(t, rt, []float32{1, 2, 3})
	if err := rt.BeginCapture(); err != nil {
		t.Fatal(err)
	}
	if err := rt.Launch(launch.AddTo(acc, one, 3)); err != nil {
		t.Fatal(err)
	}
	replay, err := rt.EndCapture()
	if err != nil {
		t.Fatal(err)
	}
	if got := download(t, rt, acc, 3); !equal(got, []float32{0, 0, 0}) {
		t.Fatalf("after capture: %v", got)
	}
	for i := 0; i < 2; i++ {
		if err := replay(); err != nil {
			t.Fatal(err)
		}
	}
	if got := download(t, rt, acc, 3); !equal(got, []float32{2, 4, 6}) {
		t.Fatalf("after two replays: %v", got)
	}
}

func TestEventsTime(t *testing.T) {
	rt := runtime(t)
	start, err := rt.Device.NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer start.Close()
	end, err := rt.Device.NewEvent()
	if err != nil {
		t.Fatal(err)
	}
	defer end.Close()
	p := alloc(t, rt, make([]float32, 1<<20))
	if err := start.Record(rt.Stream); err != nil {
		t.Fatal(err)
	}
	if err := rt.Launch(launch.Fill(p, 1, 1<<20)); err != nil {
		t.Fatal(err)
	}
	if err := end.Record(rt.Stream); err != nil {
		t.Fatal(err)
	}
	if err := end.Synchronize(); err != nil {
		t.Fatal(err)
	}
	ms, err := start.Elapsed(end)
	if err != nil || ms < 0 {
		t.Fatalf("elapsed %v ms, %v", ms, err)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}
