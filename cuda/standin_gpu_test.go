//go:build gpu

package cuda_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
	"github.com/descent-ml/descent/kernels/ptx"
)

// standIn returns a runtime on the CPU test double of the driver
// (kernels/cudaemu/driver/libcuda.cpp), and skips the test on a real GPU:
// only the double fails calls on demand (DESCENT_CUDA_FAULT,
// DESCENT_CUBLAS_FAULT).
func standIn(t *testing.T) *cuda.Runtime {
	t.Helper()
	rt := runtime(t)
	if !strings.Contains(rt.Device.Name, "stand-in") {
		t.Skipf("%s is not the libcuda test double: it injects no faults", rt.Device.Name)
	}
	return rt
}

// wantError checks that err is one line that is, or ends with, want.
func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if msg := err.Error(); !strings.HasSuffix(msg, want) || strings.Contains(msg, "\n") {
		t.Fatalf("error %q, want one line ending in %q", msg, want)
	}
}

// TestInjectedFaultsBecomeErrors makes each kind of driver and cuBLAS call fail
// and checks the Go error: the operation and the CUDA error's name, one line.
func TestInjectedFaultsBecomeErrors(t *testing.T) {
	cases := []struct {
		name, variable, fault string
		call                  func(rt *cuda.Runtime, p cuda.Ptr) error
		want                  string
	}{
		{"allocation", "DESCENT_CUDA_FAULT", "cuMemAlloc:CUDA_ERROR_OUT_OF_MEMORY",
			func(rt *cuda.Runtime, _ cuda.Ptr) error { _, err := rt.Alloc(1 << 20); return err },
			"cuda: cuMemAlloc(1048576 bytes): CUDA_ERROR_OUT_OF_MEMORY (2)"},
		{"launch", "DESCENT_CUDA_FAULT", "cuLaunchKernel:CUDA_ERROR_ILLEGAL_ADDRESS",
			func(rt *cuda.Runtime, p cuda.Ptr) error { return rt.Launch(launch.Fill(p, 1, 4)) },
			"cuda: Fill<<<(1,1,1),(256,1,1)>>>: CUDA_ERROR_ILLEGAL_ADDRESS (700)"},
		{"second launch", "DESCENT_CUDA_FAULT", "cuLaunchKernel:CUDA_ERROR_LAUNCH_FAILED:2",
			func(rt *cuda.Runtime, p cuda.Ptr) error {
				if err := rt.Launch(launch.Fill(p, 1, 4)); err != nil {
					return errors.New("the first launch failed: " + err.Error())
				}
				return rt.Launch(launch.Fill(p, 2, 4))
			},
			"cuda: Fill<<<(1,1,1),(256,1,1)>>>: CUDA_ERROR_LAUNCH_FAILED (719)"},
		{"upload", "DESCENT_CUDA_FAULT", "cuMemcpyHtoDAsync:CUDA_ERROR_ILLEGAL_ADDRESS",
			func(rt *cuda.Runtime, p cuda.Ptr) error { return rt.Upload(p, []float32{1, 2}) },
			"cuda: cuMemcpyHtoDAsync(8 bytes): CUDA_ERROR_ILLEGAL_ADDRESS (700)"},
		{"download", "DESCENT_CUDA_FAULT", "cuMemcpyDtoHAsync_v2:CUDA_ERROR_ECC_UNCORRECTABLE",
			func(rt *cuda.Runtime, p cuda.Ptr) error { return rt.Download(make([]float32, 4), p) },
			"cuda: cuMemcpyDtoHAsync(16 bytes): CUDA_ERROR_ECC_UNCORRECTABLE (214)"},
		{"synchronization", "DESCENT_CUDA_FAULT", "cuStreamSynchronize:CUDA_ERROR_LAUNCH_TIMEOUT",
			func(rt *cuda.Runtime, _ cuda.Ptr) error { return rt.Stream.Synchronize() },
			"cuda: cuStreamSynchronize: CUDA_ERROR_LAUNCH_TIMEOUT (702)"},
		{"pinned memory", "DESCENT_CUDA_FAULT", "cuMemAllocHost:CUDA_ERROR_OUT_OF_MEMORY",
			func(rt *cuda.Runtime, p cuda.Ptr) error { return rt.StageUpload(p, []float32{1}) },
			"cuda: cuMemAllocHost(4 bytes): CUDA_ERROR_OUT_OF_MEMORY (2)"},
		{"graph launch", "DESCENT_CUDA_FAULT", "cuGraphLaunch:CUDA_ERROR_ILLEGAL_ADDRESS",
			func(rt *cuda.Runtime, p cuda.Ptr) error {
				if err := rt.BeginCapture(); err != nil {
					return err
				}
				if err := rt.Launch(launch.Fill(p, 1, 4)); err != nil {
					return err
				}
				replay, err := rt.EndCapture()
				if err != nil {
					return err
				}
				return replay()
			},
			"cuda: cuGraphLaunch: CUDA_ERROR_ILLEGAL_ADDRESS (700)"},
		{"GEMM", "DESCENT_CUBLAS_FAULT", "cublasSgemm_v2:CUBLAS_STATUS_EXECUTION_FAILED",
			func(rt *cuda.Runtime, p cuda.Ptr) error {
				return launch.Gemm(rt, false, false, 1, 1, 1, 1, p, 1, p, 1, 0, p, 1)
			},
			"cuda: cublasSgemm_v2(m=1 n=1 k=1): CUBLAS_STATUS_EXECUTION_FAILED (13)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rt := standIn(t)
			p := alloc(t, rt, []float32{0, 0, 0, 0})
			t.Setenv(c.variable, c.fault)
			err := c.call(rt, p)
			wantError(t, err, c.want)
			t.Setenv(c.variable, "")
			// The fault is gone with the variable: the runtime works on.
			if err := rt.Launch(launch.Fill(p, 5, 4)); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
			if got := download(t, rt, p, 4); !equal(got, []float32{5, 5, 5, 5}) {
				t.Fatalf("after the fault: %v", got)
			}
		})
	}
}

// TestNewRuntimeReportsADriverFault fails loading the PTX: NewRuntime returns
// the error and releases what it had made.
func TestNewRuntimeReportsADriverFault(t *testing.T) {
	standIn(t)
	t.Setenv("DESCENT_CUDA_FAULT", "cuModuleLoadData:CUDA_ERROR_INVALID_PTX")
	rt, err := cuda.NewRuntime(0, ptx.Module)
	if rt != nil {
		t.Fatal("NewRuntime returned a runtime with its error")
	}
	wantError(t, err, "cuda: cuModuleLoadData: CUDA_ERROR_INVALID_PTX (218)")
}

// TestCaptureRefusesSynchronization synchronizes a capturing stream, which the
// driver refuses and which invalidates the capture.
func TestCaptureRefusesSynchronization(t *testing.T) {
	rt := standIn(t)
	p := alloc(t, rt, []float32{0})
	if err := rt.BeginCapture(); err != nil {
		t.Fatal(err)
	}
	if err := rt.Launch(launch.Fill(p, 1, 1)); err != nil {
		t.Fatal(err)
	}
	wantError(t, rt.Stream.Synchronize(), "cuda: cuStreamSynchronize: CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (900)")
	_, err := rt.EndCapture()
	wantError(t, err, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED (901)")
	if got := download(t, rt, p, 1); got[0] != 0 {
		t.Fatalf("the captured launch ran: %v", got)
	}
}

// TestModuleHasOnlyThePTXEntries loads a PTX module that defines only Fill: the
// test double finds Fill and not Copy, though it has compiled both kernels.
func TestModuleHasOnlyThePTXEntries(t *testing.T) {
	rt := standIn(t)
	m, err := rt.Device.LoadModule(".version 7.8\n.target sm_90\n.address_size 64\n.visible .entry Fill(\n)\n{\n\tret;\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if !m.Has("Fill") || m.Has("Copy") {
		t.Fatalf("Has(Fill) = %v, Has(Copy) = %v; want true, false", m.Has("Fill"), m.Has("Copy"))
	}
}

// TestTF32DropsLowMantissaBits multiplies 64 × 64 matrices of 1 + 2⁻¹² by ones:
// in float32 each element of C is 64 + 2⁻⁶; in TF32 (10 mantissa bits) the
// inputs lose their 2⁻¹² and C is 64. A GPU may keep tiny GEMMs off the
// tensor cores, so there only the float32 result is required exact.
func TestTF32DropsLowMantissaBits(t *testing.T) {
	rt := runtime(t)
	const n = 64
	a, b := make([]float32, n*n), make([]float32, n*n)
	for i := range a {
		a[i], b[i] = 1+1.0/4096, 1
	}
	pa, pb, pc := alloc(t, rt, a), alloc(t, rt, b), alloc(t, rt, make([]float32, n*n))
	product := func(tf32 bool) float32 {
		t.Helper()
		if err := rt.BLAS.SetTF32(tf32); err != nil {
			t.Fatal(err)
		}
		if err := launch.Gemm(rt, false, false, n, n, n, 1, pa, n, pb, n, 0, pc, n); err != nil {
			t.Fatal(err)
		}
		c := download(t, rt, pc, n*n)
		for _, v := range c {
			if v != c[0] {
				t.Fatalf("TF32 %v: C holds %v and %v", tf32, c[0], v)
			}
		}
		return c[0]
	}
	if got := product(false); got != n+1.0/64 {
		t.Fatalf("float32: C = %v, want %v", got, n+1.0/64)
	}
	got := product(true)
	if strings.Contains(rt.Device.Name, "stand-in") && got != n || got != n && got != n+1.0/64 {
		t.Fatalf("TF32: C = %v, want %v (%v without tensor cores)", got, float32(n), n+1.0/64)
	}
	t.Logf("TF32 on %s: C = %v", rt.Device.Name, got)
}
