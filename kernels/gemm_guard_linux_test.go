package kernels

import (
	"syscall"
	"testing"
	"unsafe"
)

// guardedSlice returns n elements that end right before an inaccessible page, so
// that an assembly kernel reading or writing past the end faults instead of
// silently touching other memory.
func guardedSlice[T Float](t *testing.T, n int) (s []T, free func()) {
	if n == 0 {
		return nil, func() {}
	}
	size := n * int(unsafe.Sizeof(T(0)))
	page := syscall.Getpagesize()
	data := (size + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap %d bytes: %v", data+page, err)
	}
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect guard page: %v", err)
	}
	s = unsafe.Slice((*T)(unsafe.Pointer(&mem[data-size])), n)
	return s, func() { syscall.Munmap(mem) }
}
