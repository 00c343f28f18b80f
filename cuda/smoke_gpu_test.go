//go:build gpu

package cuda_test

import (
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// TestRuntimeSmoke is the first check on a GPU host (scripts/gpu-check.sh runs
// it alone, first): a context, copies both ways (floats and bytes), one kernel,
// one cuBLAS GEMM, and one captured graph replayed. Each failure says which of
// these broke; the later tests assume they work.
func TestRuntimeSmoke(t *testing.T) {
	rt := runtime(t)
	t.Logf("driver API %d", cuda.DriverVersion())

	x := []float32{1, -2, 3.5}
	p := alloc(t, rt, x)
	if got := download(t, rt, p, len(x)); !equal(got, x) {
		t.Fatalf("upload then download: %v, want %v", got, x)
	}
	bytes := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	pb, err := rt.Alloc(int64(len(bytes)))
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.UploadBytes(pb, bytes); err != nil {
		t.Fatal(err)
	}
	gotBytes := make([]byte, len(bytes))
	if err := rt.DownloadBytes(gotBytes, pb); err != nil {
		t.Fatal(err)
	}
	if string(gotBytes) != string(bytes) {
		t.Fatalf("bytes up and down: %v, want %v", gotBytes, bytes)
	}

	if err := rt.Launch(launch.Fill(p, 7, 2)); err != nil {
		t.Fatalf("kernel launch: %v", err)
	}
	if got := download(t, rt, p, len(x)); !equal(got, []float32{7, 7, 3.5}) {
		t.Fatalf("after Fill of 2: %v, want [7 7 3.5]", got)
	}

	// C = A·B with A 2×3 and B 3×2, row-major.
	a, b := alloc(t, rt, []float32{1, 2, 3, 4, 5, 6}), alloc(t, rt, []float32{1, 0, 0, 1, 1, 1})
	c := alloc(t, rt, make([]float32, 4))
	if err := launch.Gemm(rt, false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2); err != nil {
		t.Fatalf("cuBLAS GEMM (%s): %v", rt.BLAS.Library, err)
	}
	if got := download(t, rt, c, 4); !equal(got, []float32{4, 5, 10, 11}) {
		t.Fatalf("GEMM: %v, want [4 5 10 11]", got)
	}

	// The same kernel and GEMM, now captured (cuBLAS has run outside a capture
	// first, as on the production path) and replayed twice.
	if err := rt.BeginCapture(); err != nil {
		t.Fatal(err)
	}
	if err := rt.Launch(launch.AddTo(p, p, 1)); err != nil {
		t.Fatal(err)
	}
	if err := launch.Gemm(rt, false, false, 2, 2, 3, 1, a, 3, b, 2, 1, c, 2); err != nil {
		t.Fatal(err)
	}
	replay, err := rt.EndCapture()
	if err != nil {
		t.Fatalf("graph capture: %v", err)
	}
	for range 2 {
		if err := replay(); err != nil {
			t.Fatalf("graph replay: %v", err)
		}
	}
	if got := download(t, rt, p, len(x)); !equal(got, []float32{28, 7, 3.5}) {
		t.Fatalf("kernel after two replays: %v, want [28 7 3.5]", got)
	}
	if got := download(t, rt, c, 4); !equal(got, []float32{12, 15, 30, 33}) {
		t.Fatalf("GEMM after two replays: %v, want 3·A·B = [12 15 30 33]", got)
	}
}
