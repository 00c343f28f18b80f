//go:build gpu

package cuda

import (
	"fmt"
	"unsafe"

	"gorgonia.org/cu"
)

// Arena is one device allocation that a Plan subdivides.
type Arena struct {
	Base Ptr
	Size int64
	dev  *Device
}

// NewArena allocates plan.Size() bytes (at least one byte) on d.
func (d *Device) NewArena(plan *Plan) (*Arena, error) {
	size := max(plan.Size(), 1)
	a := &Arena{Size: size, dev: d}
	err := d.Do(func() error {
		p, err := cu.MemAlloc(size)
		a.Base = Ptr(p)
		if err != nil {
			return check(fmt.Sprintf("cuMemAlloc(%d bytes)", size), err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Free releases the allocation.
func (a *Arena) Free() error {
	return a.dev.Do(func() error { return check("cuMemFree", cu.MemFree(cu.DevicePtr(a.Base))) })
}

// Upload copies src to dst on stream s (nil: synchronously). The copy from
// pageable memory has returned once src may be reused.
func (s *Stream) Upload(dst Ptr, src []float32) error {
	if len(src) == 0 {
		return nil
	}
	bytes := int64(4 * len(src))
	return s.dev.Do(func() error {
		err := cu.MemcpyHtoDAsync(cu.DevicePtr(dst), unsafe.Pointer(&src[0]), bytes, s.s)
		if err != nil {
			return check(fmt.Sprintf("cuMemcpyHtoDAsync(%d bytes)", bytes), err)
		}
		return nil
	})
}

// UploadBytes copies raw bytes (labels, seeds, tables) to dst on stream s.
func (s *Stream) UploadBytes(dst Ptr, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	return s.dev.Do(func() error {
		err := cu.MemcpyHtoDAsync(cu.DevicePtr(dst), unsafe.Pointer(&src[0]), int64(len(src)), s.s)
		if err != nil {
			return check(fmt.Sprintf("cuMemcpyHtoDAsync(%d bytes)", len(src)), err)
		}
		return nil
	})
}

// Download copies len(dst) floats from src into dst and waits for them: the
// stream's earlier work finishes first.
func (s *Stream) Download(dst []float32, src Ptr) error {
	if len(dst) == 0 {
		return nil
	}
	bytes := int64(4 * len(dst))
	return s.dev.Do(func() error {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&dst[0]), cu.DevicePtr(src), bytes, s.s); err != nil {
			return check(fmt.Sprintf("cuMemcpyDtoHAsync(%d bytes)", bytes), err)
		}
		return check("cuStreamSynchronize", s.s.Synchronize())
	})
}

// DownloadBytes copies len(dst) bytes from src and waits for them.
func (s *Stream) DownloadBytes(dst []byte, src Ptr) error {
	if len(dst) == 0 {
		return nil
	}
	return s.dev.Do(func() error {
		if err := cu.MemcpyDtoHAsync(unsafe.Pointer(&dst[0]), cu.DevicePtr(src), int64(len(dst)), s.s); err != nil {
			return check(fmt.Sprintf("cuMemcpyDtoHAsync(%d bytes)", len(dst)), err)
		}
		return check("cuStreamSynchronize", s.s.Synchronize())
	})
}

// Copy copies bytes from src to dst on the device, on stream s.
func (s *Stream) Copy(dst, src Ptr, bytes int64) error {
	if bytes == 0 {
		return nil
	}
	return s.dev.Do(func() error {
		err := cu.MemcpyDtoDAsync(cu.DevicePtr(dst), cu.DevicePtr(src), bytes, s.s)
		if err != nil {
			return check(fmt.Sprintf("cuMemcpyDtoDAsync(%d bytes)", bytes), err)
		}
		return nil
	})
}
