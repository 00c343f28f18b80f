//go:build gpu

package graph

import (
	"errors"
	"fmt"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/ptx"
)

// CUDA is the GPU Backend: every step of a Program runs as the CUDA twin of its
// kernel (the embedded PTX of kernels/*.cu, cuBLAS for the GEMMs) on one
// stream; each program's launches are captured once into a CUDA graph and
// replayed. See backend_device.go for memory and transfers.
type CUDA struct {
	*deviceBackend
	Device *cuda.Device
	BLAS   *cuda.BLAS // exposes SetTF32
	rt     *cudaRuntime
}

// NewCUDA opens GPU ordinal for model m (float32): it loads the kernels and
// cuBLAS and creates a stream.
func NewCUDA(m *Model, ordinal int) (*CUDA, error) {
	dev, err := cuda.Open(ordinal)
	if err != nil {
		return nil, err
	}
	rt := &cudaRuntime{dev: dev, arenas: map[cuda.Ptr]*cuda.Arena{}}
	c := &CUDA{Device: dev, rt: rt}
	fail := func(err error) (*CUDA, error) {
		c.release()
		return nil, err
	}
	if rt.stream, err = dev.NewStream(); err != nil {
		return fail(err)
	}
	if rt.module, err = dev.LoadModule(ptx.Module); err != nil {
		return fail(fmt.Errorf("loading the kernels' PTX on %v: %w", dev, err))
	}
	if rt.blas, err = rt.stream.NewBLAS(); err != nil {
		return fail(err)
	}
	c.BLAS = rt.blas
	if c.deviceBackend, err = newDeviceBackend(rt, m); err != nil {
		return fail(err)
	}
	return c, nil
}

// Close frees the device memory and releases the stream, cuBLAS, the kernels
// and the device.
func (c *CUDA) Close() error {
	var err error
	if c.deviceBackend != nil {
		err = c.deviceBackend.Close()
	}
	return errors.Join(err, c.release())
}

func (c *CUDA) release() error {
	rt := c.rt
	var errs []error
	if rt.graphs != nil {
		for _, g := range rt.graphs {
			errs = append(errs, g.Close())
		}
	}
	if rt.blas != nil {
		errs = append(errs, rt.blas.Close())
	}
	if rt.module != nil {
		errs = append(errs, rt.module.Close())
	}
	if rt.stream != nil {
		errs = append(errs, rt.stream.Close())
	}
	errs = append(errs, c.Device.Close())
	return errors.Join(errs...)
}

// cudaRuntime is the deviceRuntime of a GPU: one stream, its cuBLAS handle and
// the kernels' module.
type cudaRuntime struct {
	dev    *cuda.Device
	stream *cuda.Stream
	module *cuda.Module
	blas   *cuda.BLAS
	arenas map[cuda.Ptr]*cuda.Arena
	graphs []*cuda.Graph
}

func (r *cudaRuntime) Launch(l cuda.Launch) error { return r.module.Launch(r.stream, l) }

func (r *cudaRuntime) Gemm(g cuda.ColMajor, alpha, beta float32) error {
	return r.blas.Gemm(g, alpha, beta)
}

func (r *cudaRuntime) Alloc(bytes int64) (cuda.Ptr, error) {
	var plan cuda.Plan
	plan.Reserve(bytes)
	a, err := r.dev.NewArena(&plan)
	if err != nil {
		return 0, err
	}
	r.arenas[a.Base] = a
	return a.Base, nil
}

func (r *cudaRuntime) Free(p cuda.Ptr) error {
	a, ok := r.arenas[p]
	if !ok {
		return fmt.Errorf("cuda: free of %#x, which no arena starts at", uint64(p))
	}
	delete(r.arenas, p)
	return a.Free()
}

func (r *cudaRuntime) Upload(dst cuda.Ptr, src []float32) error { return r.stream.Upload(dst, src) }

func (r *cudaRuntime) UploadBytes(dst cuda.Ptr, src []byte) error {
	return r.stream.UploadBytes(dst, src)
}

func (r *cudaRuntime) Download(dst []float32, src cuda.Ptr) error { return r.stream.Download(dst, src) }

func (r *cudaRuntime) BeginCapture() error { return r.stream.BeginCapture() }

func (r *cudaRuntime) EndCapture() (func() error, error) {
	g, err := r.stream.EndCapture()
	if err != nil {
		return nil, err
	}
	r.graphs = append(r.graphs, g)
	return func() error { return g.Launch(r.stream) }, nil
}
