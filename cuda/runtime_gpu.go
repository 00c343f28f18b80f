//go:build gpu

package cuda

import (
	"errors"
	"fmt"
	"unsafe"
)

// Runtime bundles what running Descent's kernels takes: a device, one stream,
// the kernels' module and a cuBLAS handle on that stream. It allocates arenas,
// copies, launches, multiplies matrices and records CUDA graphs, all in stream
// order. Staged uploads run on a second stream, for copies only.
type Runtime struct {
	Device *Device
	Stream *Stream
	Module *Module
	BLAS   *BLAS

	arenas    map[Ptr]*Arena
	graphs    []*Graph
	uploads   *Stream // the copy stream of staged uploads
	staged    map[Ptr]*staging
	capturing bool
}

// NewRuntime opens device ordinal, loads the PTX module ptx and cuBLAS, and
// creates the compute and copy streams.
func NewRuntime(ordinal int, ptx string) (*Runtime, error) {
	dev, err := Open(ordinal)
	if err != nil {
		return nil, err
	}
	r := &Runtime{Device: dev, arenas: map[Ptr]*Arena{}, staged: map[Ptr]*staging{}}
	if r.Stream, err = dev.NewStream(); err == nil {
		r.uploads, err = dev.NewStream()
	}
	if err == nil {
		if r.Module, err = dev.LoadModule(ptx); err != nil {
			err = fmt.Errorf("loading the kernels' PTX on %v: %w", dev, err)
		}
	}
	if err == nil {
		r.BLAS, err = r.Stream.NewBLAS()
	}
	if err != nil {
		return nil, errors.Join(err, r.Close())
	}
	return r, nil
}

// Launch queues l.
func (r *Runtime) Launch(l Launch) error { return r.Module.Launch(r.Stream, l) }

// Gemm queues the column-major SGEMM g.
func (r *Runtime) Gemm(g ColMajor, alpha, beta float32) error { return r.BLAS.Gemm(g, alpha, beta) }

// Alloc returns an arena of bytes; Free releases it.
func (r *Runtime) Alloc(bytes int64) (Ptr, error) {
	var plan Plan
	plan.Reserve(bytes)
	a, err := r.Device.NewArena(&plan)
	if err != nil {
		return 0, err
	}
	r.arenas[a.Base] = a
	return a.Base, nil
}

// Free releases an arena from Alloc, once the stream's work is done.
func (r *Runtime) Free(p Ptr) error {
	a, ok := r.arenas[p]
	if !ok {
		return fmt.Errorf("cuda: free of %#x, which no arena starts at", uint64(p))
	}
	delete(r.arenas, p)
	if err := r.Stream.Synchronize(); err != nil {
		return err
	}
	return a.Free()
}

// Upload, UploadBytes, Download and DownloadBytes copy in stream order; the
// downloads wait for the data.
func (r *Runtime) Upload(dst Ptr, src []float32) error     { return r.Stream.Upload(dst, src) }
func (r *Runtime) UploadBytes(dst Ptr, src []byte) error   { return r.Stream.UploadBytes(dst, src) }
func (r *Runtime) Download(dst []float32, src Ptr) error   { return r.Stream.Download(dst, src) }
func (r *Runtime) DownloadBytes(dst []byte, src Ptr) error { return r.Stream.DownloadBytes(dst, src) }

// StageUpload copies src into a pinned host buffer kept for dst and queues its
// upload on the runtime's copy stream; the compute stream (r.Stream) waits for
// the copy before any work queued after this call. It returns without waiting
// for the copy, and src may be reused at once. The upload overlaps with the
// compute stream's earlier work, including work still reading dst: it lands in
// a device buffer kept for dst, which the compute stream copies into dst in
// its order. Each dst gets its buffers on first use, grown when a larger src
// comes and kept until Close; in the steady state a call allocates nothing.
//
// StageUpload must not be called while the stream is capturing a graph (it
// returns an error between BeginCapture and EndCapture): stage the data, then
// replay.
func (r *Runtime) StageUpload(dst Ptr, src []float32) error {
	if len(src) == 0 {
		return nil
	}
	return r.stage(dst, unsafe.Slice((*byte)(unsafe.Pointer(&src[0])), 4*len(src)))
}

// StageUploadBytes is StageUpload for raw bytes (labels, seeds, tables).
func (r *Runtime) StageUploadBytes(dst Ptr, src []byte) error { return r.stage(dst, src) }

// BeginCapture starts recording the stream's work into a graph.
func (r *Runtime) BeginCapture() error {
	if err := r.Stream.BeginCapture(); err != nil {
		return err
	}
	r.capturing = true
	return nil
}

// EndCapture instantiates the recorded graph and returns a function that
// replays it on the stream.
func (r *Runtime) EndCapture() (func() error, error) {
	r.capturing = false
	g, err := r.Stream.EndCapture()
	if err != nil {
		return nil, err
	}
	r.graphs = append(r.graphs, g)
	return func() error { return g.Launch(r.Stream) }, nil
}

// Close frees every arena, staging buffer and graph and releases cuBLAS, the
// module, the streams and the device.
func (r *Runtime) Close() error {
	var errs []error
	if r.Stream != nil {
		errs = append(errs, r.Stream.Synchronize())
	}
	if r.uploads != nil {
		errs = append(errs, r.uploads.Synchronize())
	}
	for dst, s := range r.staged {
		errs = append(errs, s.close())
		delete(r.staged, dst)
	}
	if r.uploads != nil {
		errs = append(errs, r.uploads.Close())
	}
	for p, a := range r.arenas {
		errs = append(errs, a.Free())
		delete(r.arenas, p)
	}
	for _, g := range r.graphs {
		errs = append(errs, g.Close())
	}
	r.graphs = nil
	if r.BLAS != nil {
		errs = append(errs, r.BLAS.Close())
	}
	if r.Module != nil {
		errs = append(errs, r.Module.Close())
	}
	if r.Stream != nil {
		errs = append(errs, r.Stream.Close())
	}
	errs = append(errs, r.Device.Close())
	return errors.Join(errs...)
}
