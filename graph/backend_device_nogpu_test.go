//go:build !gpu

package graph

import (
	"errors"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/cudaemu"
)

// testRuntime is the CPU emulation of the CUDA kernels, shared by the tests;
// without a C++ compiler the test is skipped.
func testRuntime(t *testing.T) deviceRuntime { return cudaemu.Shared(t, "../kernels") }

// recorder is the emulator with graph capture: between BeginCapture and
// EndCapture launches and GEMMs are recorded instead of run, and a copy is an
// error, as nothing but queued device work can be part of a CUDA graph.
type recorder struct {
	deviceRuntime
	recording bool
	captures  int
	log       []func() error
}

func (r *recorder) BeginCapture() error {
	r.recording, r.log = true, nil
	r.captures++
	return nil
}

func (r *recorder) EndCapture() (func() error, error) {
	r.recording = false
	log := r.log
	return func() error {
		for _, op := range log {
			if err := op(); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func (r *recorder) Launch(l cuda.Launch) error {
	if r.recording {
		r.log = append(r.log, func() error { return r.deviceRuntime.Launch(l) })
		return nil
	}
	return r.deviceRuntime.Launch(l)
}

func (r *recorder) Gemm(g cuda.ColMajor, alpha, beta float32) error {
	if r.recording {
		r.log = append(r.log, func() error { return r.deviceRuntime.Gemm(g, alpha, beta) })
		return nil
	}
	return r.deviceRuntime.Gemm(g, alpha, beta)
}

func (r *recorder) Upload(dst cuda.Ptr, src []float32) error {
	if r.recording {
		return errors.New("upload during graph capture")
	}
	return r.deviceRuntime.Upload(dst, src)
}

func (r *recorder) UploadBytes(dst cuda.Ptr, src []byte) error {
	if r.recording {
		return errors.New("upload during graph capture")
	}
	return r.deviceRuntime.UploadBytes(dst, src)
}

func (r *recorder) Download(dst []float32, src cuda.Ptr) error {
	if r.recording {
		return errors.New("download during graph capture")
	}
	return r.deviceRuntime.Download(dst, src)
}

func (r *recorder) DownloadBytes(dst []byte, src cuda.Ptr) error {
	if r.recording {
		return errors.New("download during graph capture")
	}
	return r.deviceRuntime.DownloadBytes(dst, src)
}

// TestDeviceBackendGraphReplay runs the CPU comparison with every program
// captured on its second run and replayed: per-step values (batch, labels, dropout seeds,
// parameters) must reach the kernels through device memory.
func TestDeviceBackendGraphReplay(t *testing.T) {
	r := &recorder{deviceRuntime: testRuntime(t)}
	checkAgainstCPU(t, r)
	if r.captures != 2 { // the training and the evaluation program
		t.Errorf("%d programs captured, want 2", r.captures)
	}
}
