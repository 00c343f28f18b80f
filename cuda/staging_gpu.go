//go:build gpu

package cuda

/*
#include <cuda.h>

// cuda.h maps cuMemAllocHost onto a versioned symbol with a macro, which cgo
// cannot call directly.
static CUresult descent_mem_alloc_host(void** p, size_t bytes) { return cuMemAllocHost(p, bytes); }
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// staging carries the staged uploads to one destination. The data is copied
// into pinned host memory, which the copy stream's DMA reads directly (a copy
// from pageable memory goes through a driver buffer and holds the calling
// thread), and uploaded into a device buffer of its own rather than into dst:
// the compute stream may still be reading the previous data in dst, and this
// way the upload need not wait for it. The compute stream then moves the data
// into dst in its own order, a device-to-device copy at memory speed.
type staging struct {
	host     unsafe.Pointer // pinned, size bytes
	dev      Ptr            // an arena of size bytes
	size     int64
	uploaded *Event // on the copy stream after host → dev: host may be rewritten
	drained  *Event // on the compute stream after dev → dst: dev may be rewritten
}

// stage queues the upload of src to dst through dst's staging buffers; see
// StageUpload.
func (r *Runtime) stage(dst Ptr, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	if r.capturing {
		return fmt.Errorf("cuda: staged upload to %#x during graph capture: stage the data before replaying the graph", uint64(dst))
	}
	s := r.staged[dst]
	if s == nil {
		var err error
		if s, err = r.newStaging(); err != nil {
			return err
		}
		r.staged[dst] = s
	}
	if n := int64(len(src)); s.size < n {
		if err := r.grow(s, n); err != nil {
			return err
		}
	}
	return r.Device.Do(func() error { return r.queueStaged(s, dst, src) })
}

// queueStaged copies src into s.host and queues host → s.dev on the copy
// stream and s.dev → dst on the compute stream, each after what the other
// stream must finish first; call inside Do.
func (r *Runtime) queueStaged(s *staging, dst Ptr, src []byte) error {
	n := int64(len(src))
	// The previous upload from s.host has normally long finished.
	if err := s.uploaded.e.Synchronize(); err != nil {
		return check("cuEventSynchronize", err)
	}
	copy(unsafe.Slice((*byte)(s.host), n), src)
	if err := r.uploads.s.Wait(s.drained.e, 0); err != nil {
		return check("cuStreamWaitEvent", err)
	}
	if err := cu.MemcpyHtoDAsync(cu.DevicePtr(s.dev), s.host, n, r.uploads.s); err != nil {
		return check(fmt.Sprintf("cuMemcpyHtoDAsync(%d bytes)", n), err)
	}
	if err := s.uploaded.e.Record(r.uploads.s); err != nil {
		return check("cuEventRecord", err)
	}
	if err := r.Stream.s.Wait(s.uploaded.e, 0); err != nil {
		return check("cuStreamWaitEvent", err)
	}
	if err := cu.MemcpyDtoDAsync(cu.DevicePtr(dst), cu.DevicePtr(s.dev), n, r.Stream.s); err != nil {
		return check(fmt.Sprintf("cuMemcpyDtoDAsync(%d bytes)", n), err)
	}
	return check("cuEventRecord", s.drained.e.Record(r.Stream.s))
}

// newStaging creates the events of an empty staging; grow allocates its
// buffers.
func (r *Runtime) newStaging() (*staging, error) {
	uploaded, err := r.Device.newEvent(cu.DisableTiming)
	if err != nil {
		return nil, err
	}
	drained, err := r.Device.newEvent(cu.DisableTiming)
	if err != nil {
		return nil, errors.Join(err, uploaded.Close())
	}
	return &staging{uploaded: uploaded, drained: drained}, nil
}

// grow replaces s's buffers by ones of n bytes once its queued copies are done.
func (r *Runtime) grow(s *staging, n int64) error {
	if err := s.uploaded.Synchronize(); err != nil {
		return err
	}
	if s.dev != 0 {
		// Free waits for the compute stream, and so for the last drain.
		if err := r.Free(s.dev); err != nil {
			return err
		}
		s.dev, s.size = 0, 0
	}
	if err := s.freeHost(); err != nil {
		return err
	}
	var host unsafe.Pointer
	err := r.Device.Do(func() error {
		return driverError(fmt.Sprintf("cuMemAllocHost(%d bytes)", n), int(C.descent_mem_alloc_host(&host, C.size_t(n))))
	})
	if err != nil {
		return err
	}
	s.host = host
	if s.dev, err = r.Alloc(n); err != nil {
		return err
	}
	s.size = n
	return nil
}

// freeHost releases the pinned buffer, if any.
func (s *staging) freeHost() error {
	if s.host == nil {
		return nil
	}
	err := s.uploaded.dev.Do(func() error { return check("cuMemFreeHost", cu.MemFreeHost(s.host)) })
	s.host = nil
	return err
}

// close releases the pinned buffer and the events; both streams must be
// synchronized. The device buffer is one of the runtime's arenas.
func (s *staging) close() error {
	return errors.Join(s.freeHost(), s.uploaded.Close(), s.drained.Close())
}
