//go:build gpu

package cuda_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
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
	if len(rt.BLAS.Skipped) > 0 {
		t.Logf("cuBLAS libraries passed over: %s", strings.Join(rt.BLAS.Skipped, ", "))
	}
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

// TestGraphReplaysCapturedWork captures an AddTo and a GEMM and replays them:
// each replay adds once more, and capture itself runs nothing.
func TestGraphReplaysCapturedWork(t *testing.T) {
	rt := runtime(t)
	acc, one := alloc(t, rt, []float32{0, 0, 0}), alloc(t, rt, []float32{1, 2, 3})
	a, bm := alloc(t, rt, []float32{1, 2, 3, 4, 5, 6}), alloc(t, rt, []float32{1, 0, 0, 1, 1, 1})
	c := alloc(t, rt, []float32{0, 0, 0, 0})
	// One GEMM outside the capture first, as a Program's first run goes launch
	// by launch: cuBLAS's one-time set-up (loading its kernels) must not
	// happen inside a capture, where it can fail for reasons of its own.
	if err := launch.Gemm(rt, false, false, 2, 2, 3, 1, a, 3, bm, 2, 0, c, 2); err != nil {
		t.Fatal(err)
	}
	if err := rt.Launch(launch.Fill(c, 0, 4)); err != nil {
		t.Fatal(err)
	}
	if err := rt.BeginCapture(); err != nil {
		t.Fatal(err)
	}
	if err := rt.Launch(launch.AddTo(acc, one, 3)); err != nil {
		t.Fatal(err)
	}
	if err := launch.Gemm(rt, false, false, 2, 2, 3, 1, a, 3, bm, 2, 1, c, 2); err != nil {
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
	if got := download(t, rt, c, 4); !equal(got, []float32{8, 10, 20, 22}) {
		t.Fatalf("GEMM after two replays: %v, want 2·A·B = [8 10 20 22]", got)
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

func TestStageUploadThenDownload(t *testing.T) {
	rt := runtime(t)
	x := []float32{1, -2, 3.5, float32(math.Inf(-1)), 0, 6}
	p := alloc(t, rt, make([]float32, len(x)))
	if err := rt.StageUpload(p, x); err != nil {
		t.Fatal(err)
	}
	if got := download(t, rt, p, len(x)); !equal(got, x) {
		t.Fatalf("staged upload gives %v, want %v", got, x)
	}
}

// keepBusy queues enough work on the compute stream that it falls behind the
// copy stream, so that a staged upload missing one of its waits overtakes
// or is overtaken by the work around it.
func keepBusy(t *testing.T, rt *cuda.Runtime, scratch cuda.Ptr, n int) {
	t.Helper()
	for v := range 2 {
		if err := rt.Launch(launch.Fill(scratch, float32(v), n)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStagedUploadsReachTheirReaders stages different data to one dst again
// and again from one reused slice, each time queuing a kernel that copies dst
// to an output of its own: every output must hold its own round's data.
func TestStagedUploadsReachTheirReaders(t *testing.T) {
	rt := runtime(t)
	const n, rounds, busyN = 1 << 18, 32, 1 << 26
	scratch, err := rt.Alloc(4 * busyN)
	if err != nil {
		t.Fatal(err)
	}
	dst := alloc(t, rt, make([]float32, n))
	outs := make([]cuda.Ptr, rounds)
	for i := range outs {
		outs[i] = alloc(t, rt, make([]float32, n))
	}
	value := func(round, j int) float32 { return float32(round)/2 + float32(j%1024) } // exact
	src := make([]float32, n)
	for i := range rounds {
		for j := range src {
			src[j] = value(i, j)
		}
		if err := rt.StageUpload(dst, src); err != nil {
			t.Fatal(err)
		}
		if err := rt.Launch(launch.Copy(dst, outs[i], n)); err != nil {
			t.Fatal(err)
		}
		keepBusy(t, rt, scratch, busyN)
	}
	for i, out := range outs {
		got := download(t, rt, out, n)
		for j, v := range got {
			if v != value(i, j) {
				t.Fatalf("round %d: element %d is %v, want %v", i, j, v, value(i, j))
			}
		}
	}
}

// TestStagedByteUploadsReachTheirReaders is the same for StageUploadBytes, read
// by device-to-device copies.
func TestStagedByteUploadsReachTheirReaders(t *testing.T) {
	rt := runtime(t)
	const n, rounds, busyN = 1 << 20, 16, 1 << 26
	scratch, err := rt.Alloc(4 * busyN)
	if err != nil {
		t.Fatal(err)
	}
	dst, err := rt.Alloc(n)
	if err != nil {
		t.Fatal(err)
	}
	outs := make([]cuda.Ptr, rounds)
	for i := range outs {
		if outs[i], err = rt.Alloc(n); err != nil {
			t.Fatal(err)
		}
	}
	value := func(round, j int) byte { return byte(round*37 + j%251) }
	src := make([]byte, n)
	for i := range rounds {
		for j := range src {
			src[j] = value(i, j)
		}
		if err := rt.StageUploadBytes(dst, src); err != nil {
			t.Fatal(err)
		}
		if err := rt.Stream.Copy(outs[i], dst, n); err != nil {
			t.Fatal(err)
		}
		keepBusy(t, rt, scratch, busyN)
	}
	got := make([]byte, n)
	for i, out := range outs {
		if err := rt.DownloadBytes(got, out); err != nil {
			t.Fatal(err)
		}
		for j, v := range got {
			if v != value(i, j) {
				t.Fatalf("round %d: byte %d is %d, want %d", i, j, v, value(i, j))
			}
		}
	}
}

// TestStageUploadGrowsItsBuffers stages a small src, a larger one and a small
// one again to the same dst.
func TestStageUploadGrowsItsBuffers(t *testing.T) {
	rt := runtime(t)
	r := rand.New(rand.NewPCG(3, 4))
	x, y := make([]float32, 3000), make([]float32, 500)
	for i := range x {
		x[i] = r.Float32()
	}
	for i := range y {
		y[i] = -r.Float32()
	}
	p := alloc(t, rt, make([]float32, len(x)))
	for _, src := range [][]float32{x[:1000], x, y} {
		if err := rt.StageUpload(p, src); err != nil {
			t.Fatal(err)
		}
	}
	want := append(slices.Clone(y), x[len(y):]...)
	if got := download(t, rt, p, len(x)); !equal(got, want) {
		t.Fatal("staging 1000, 3000 then 500 floats does not leave the last 500 over the 3000")
	}
}

func TestStageUploadAllocatesNothingOnceStaged(t *testing.T) {
	rt := runtime(t)
	src := make([]float32, 4096)
	p := alloc(t, rt, src)
	if err := rt.StageUpload(p, src); err != nil {
		t.Fatal(err)
	}
	var err error
	allocs := testing.AllocsPerRun(100, func() { err = errors.Join(err, rt.StageUpload(p, src)) })
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("a staged upload allocates %v times", allocs)
	}
}

func TestStageUploadRefusedDuringCapture(t *testing.T) {
	rt := runtime(t)
	p := alloc(t, rt, []float32{0})
	if err := rt.BeginCapture(); err != nil {
		t.Fatal(err)
	}
	if err := rt.StageUpload(p, []float32{1}); err == nil {
		t.Error("StageUpload during capture succeeded")
	}
	if _, err := rt.EndCapture(); err != nil {
		t.Fatal(err)
	}
	if err := rt.StageUpload(p, []float32{1}); err != nil {
		t.Fatalf("StageUpload after capture: %v", err)
	}
	if got := download(t, rt, p, 1); got[0] != 1 {
		t.Fatalf("after capture the staged value is %v", got[0])
	}
}

// BenchmarkUploadBatch uploads a CIFAR-sized batch (256 × 3×32×32 floats)
// again and again, from pageable memory (Upload) and staged through pinned
// memory (StageUpload, which adds a device-to-device copy into dst).
func BenchmarkUploadBatch(b *testing.B) {
	rt, err := cuda.NewRuntime(0, ptx.Module)
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	src := make([]float32, 256*3*32*32)
	dst, err := rt.Alloc(int64(4 * len(src)))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		upload func(cuda.Ptr, []float32) error
	}{{"pageable", rt.Upload}, {"staged", rt.StageUpload}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N { // not b.Loop, whose timer would stop before the copies end
				if err := c.upload(dst, src); err != nil {
					b.Fatal(err)
				}
			}
			if err := rt.Stream.Synchronize(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(4*len(src))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
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
