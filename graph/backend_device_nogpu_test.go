//go:build !gpu

package graph

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
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

// TestUpdateInsideCapturedRuns: an SGD update inside the training runs,
// captured with them into one graph from the second run on, trains exactly
// like the same update run after each training run; its rows go up before
// each run, not during the capture.
func TestUpdateInsideCapturedRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := deviceTestModel(t, rng)
	x, labels := deviceTestBatch(rng)
	initial := snapshot(m)
	rec := &recorder{deviceRuntime: testRuntime(t)}
	inside, after := testBackendOn(t, rec, m), testBackend(t, m)
	step := 0
	rows := func(dst []float32) {
		kernels.SGDHyper(dst[:0], 0.1/float64(step+1), 0.9, 0, 1e-3, false, step == 0)
		step++
	}
	plan := func(rows func([]float32)) UpdatePlan {
		return UpdatePlan{Kernel: FusedKernel{Name: "SGD", SlotArgs: []int{0}}, Slots: 1, RowLen: 7,
			Groups: [][]*Param{m.Trainable()}, ClipNorm: 1, Rows: rows}
	}
	zeros := func(p *Param) []float32 { return make([]float32, p.Value.Len()) }
	uIn, err := inside.AttachUpdate(plan(rows))
	if err != nil {
		t.Fatal(err)
	}
	uAfter, err := after.AttachUpdate(plan(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(uIn.PushSlot(0, zeros), uAfter.PushSlot(0, zeros)); err != nil {
		t.Fatal(err)
	}
	mIn, mAfter := NewMachine(m, inside), NewMachine(m, after)
	row := make([]float32, 7)
	for i := range 3 {
		if _, _, err := mIn.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
		if _, _, err := mAfter.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
		step = i // the same row for the update after the run
		rows(row)
		if err := uAfter.Update(row); err != nil {
			t.Fatal(err)
		}
		for _, u := range []DeviceUpdate{uIn, uAfter} {
			if bad, err := u.NonFinite(); bad != nil || err != nil {
				t.Fatalf("NonFinite: %v, %v", bad, err)
			}
		}
	}
	if rec.captures != 1 {
		t.Errorf("%d captures, want 1 (the training program, with its update)", rec.captures)
	}
	if err := inside.PullParams(); err != nil {
		t.Fatal(err)
	}
	want := snapshot(m)
	if err := after.PullParams(); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.Trainable() {
		for i, v := range p.Value.F32 {
			if math.Float32bits(v) != math.Float32bits(want[p][0][i]) {
				t.Fatalf("%s[%d]: %v with the update inside the runs, %v after them", p.Name, i, want[p][0][i], v)
			}
		}
		if p.Kind == Weight && equalF32(p.Value.F32, initial[p][0]) {
			t.Fatalf("%s did not change", p.Name)
		}
	}
	if _, err := inside.AttachUpdate(plan(rows)); err == nil {
		t.Error("a second update inside the runs was accepted")
	}
}
