package graph

import (
	"encoding/binary"
	"fmt"
	"log"
	"math"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// The device backend runs a Program's steps as the CUDA twins of their
// kernels (package kernels/launch) on a deviceRuntime: the GPU in the gpu build
// (backend_gpu.go), the CPU emulation of the .cu sources in tests. It is plain
// Go so that those tests check the lowering of every step on any machine.
//
// Memory: the model's parameters and gradients live in one arena shared by all
// programs; each program gets one arena for its activations, inputs, constants,
// dropout seeds and scratch, laid out by a cuda.Plan from the compiler's own
// buffer plan (Program.storage: one region per storage slot, so buffers
// sharing storage on the host share it on the device).
//
// Transfers per run: the input batch and labels up (staged through pinned
// memory on a copy stream when the runtime can, so the copy overlaps the work
// still queued, such as the previous step's parameter update), the dropout
// seeds up, and 8 bytes down: the loss and the count of right predictions,
// computed on the device; an evaluation run also brings the logits down. By
// default the parameters are the host's: their values go up before each run
// and, after a training run, the gradients and the updated running statistics
// come down, so host-side solvers work unchanged. SetResident(true) keeps them
// on the device instead (PushParams/PullParams move them explicitly, and
// AttachUpdate runs an optimizer's update there). A run allocates nothing once
// its program is prepared.
//
// By concern: backend_device_params.go holds the parameter region,
// backend_device_program.go the program arena, backend_device_replay.go
// capture and replay, backend_device_lower.go the lowering of steps, and
// backend_update.go the optimizers' updates.

// deviceRuntime is what the device backend needs from a device.
type deviceRuntime = launch.Device

// stager is a runtime that uploads through pinned host memory on a copy
// stream, ordered before the work queued after it (cuda.Runtime).
type stager interface {
	StageUpload(dst cuda.Ptr, src []float32) error
	StageUploadBytes(dst cuda.Ptr, src []byte) error
}

// deviceBackend runs programs of one model on a deviceRuntime.
type deviceBackend struct {
	rt       deviceRuntime
	model    *Model
	resident bool
	warnf    func(format string, args ...any) // where one-time warnings go: log.Printf, or a test
	warned   map[string]bool

	region    paramRegion          // the trainable parameters and their gradients
	state     []*Param             // the other parameters
	params    map[*Buffer]cuda.Ptr // each Param's Value and Grad → device address
	paramBase cuda.Ptr
	flat      []float32 // host copy of the region, for gather and scatter
	programs  map[*Program]*deviceProgram
	updates   []*deviceUpdate // optimizers' state and prepared updates
	inProgram *deviceUpdate   // the update that training programs run, if any
}

// NewDeviceBackend runs the float32 model m on dev, which queues the CUDA
// kernels: a GPU (NewCUDA opens one) or the CPU emulation of the kernels
// (kernels/cudaemu), which lets tests of other packages run the device
// path — resident parameters, device-side optimizers — on any machine.
func NewDeviceBackend(dev launch.Device, m *Model) (ResidentBackend, error) {
	b, err := newDeviceBackend(dev, m)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func newDeviceBackend(rt deviceRuntime, m *Model) (*deviceBackend, error) {
	if m.Dtype != tensor.Float32 {
		return nil, fmt.Errorf("the CUDA backend runs float32 models; this model is %v", m.Dtype)
	}
	return &deviceBackend{rt: rt, model: m, warnf: log.Printf, warned: map[string]bool{},
		programs: map[*Program]*deviceProgram{}}, nil
}

// Name implements Backend.
func (b *deviceBackend) Name() string { return "cuda" }

// SetResident chooses where the parameters live between runs: on the host
// (false, the default: uploaded before each run, gradients and running
// statistics downloaded after a training run) or on the device (true: nothing
// moves unless PushParams or PullParams say so).
func (b *deviceBackend) SetResident(on bool) error {
	if err := b.allocParams(); err != nil {
		return err
	}
	if on && !b.resident {
		if err := b.pushValues(); err != nil {
			return err
		}
	}
	b.resident = on
	return nil
}

func (b *deviceBackend) warnOnce(key, format string, args ...any) {
	if !b.warned[key] {
		b.warned[key] = true
		b.warnf(format, args...)
	}
}

// Close frees the device memory of the parameters, the optimizers' state and
// every program.
func (b *deviceBackend) Close() error {
	var first error
	for _, u := range b.updates {
		if err := b.rt.Free(u.base); err != nil && first == nil {
			first = err
		}
	}
	b.updates = nil
	for p, dp := range b.programs {
		if err := b.rt.Free(dp.base); err != nil && first == nil {
			first = err
		}
		delete(b.programs, p)
	}
	if b.params != nil {
		if err := b.rt.Free(b.paramBase); err != nil && first == nil {
			first = err
		}
		b.params = nil
	}
	return first
}

// Run implements Backend.
func (b *deviceBackend) Run(p *Program, iteration uint64) error {
	dp, err := b.prepare(p)
	if err != nil {
		return err
	}
	if p.Input != nil {
		if err := b.upload(dp.input, p.Input.F32); err != nil {
			return fmt.Errorf("uploading the batch: %w", err)
		}
	}
	if p.Labels != nil {
		if dp.counts && len(p.Labels.Shape) == 1 {
			if err := checkLabels(p.Labels.F32, p.Logits.Shape[1]); err != nil {
				return err
			}
		}
		if err := b.upload(dp.labels, p.Labels.F32); err != nil {
			return fmt.Errorf("uploading the labels: %w", err)
		}
	}
	if !b.resident {
		if err := b.pushValues(); err != nil {
			return err
		}
	}
	if len(dp.dropouts) > 0 {
		for i, k := range dp.dropouts {
			binary.LittleEndian.PutUint64(dp.seedHost[8*i:], k.stepSeed(iteration))
		}
		if err := b.uploadBytes(dp.seeds, dp.seedHost); err != nil {
			return fmt.Errorf("uploading the dropout seeds: %w", err)
		}
	}
	if dp.update != nil {
		if err := dp.update.beforeRun(); err != nil {
			return err
		}
	}
	if err := b.execute(dp); err != nil {
		return err
	}
	if err := b.rt.DownloadBytes(dp.fetched, dp.results); err != nil {
		return fmt.Errorf("downloading the loss: %w", err)
	}
	p.Loss.F32[0] = math.Float32frombits(binary.LittleEndian.Uint32(dp.fetched[:4]))
	p.correct = int(int32(binary.LittleEndian.Uint32(dp.fetched[4:8])))
	if dp.update != nil {
		dp.update.lastFlag = math.Float64frombits(binary.LittleEndian.Uint64(dp.fetched[8:]))
	}
	p.countedCorrect = dp.counts
	if !p.Training { // Evaluate hands the logits out
		if err := b.rt.Download(p.Logits.F32, dp.ptr(p.Logits)); err != nil {
			return fmt.Errorf("downloading the logits: %w", err)
		}
	}
	if b.resident || !p.Training {
		return nil
	}
	return b.pullTraining()
}

// upload copies src to dst, staged through pinned memory when the runtime can.
func (b *deviceBackend) upload(dst cuda.Ptr, src []float32) error {
	if s, ok := b.rt.(stager); ok {
		return s.StageUpload(dst, src)
	}
	return b.rt.Upload(dst, src)
}

func (b *deviceBackend) uploadBytes(dst cuda.Ptr, src []byte) error {
	if s, ok := b.rt.(stager); ok {
		return s.StageUploadBytes(dst, src)
	}
	return b.rt.UploadBytes(dst, src)
}
