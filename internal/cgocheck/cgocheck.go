//go:build cgo

package cgocheck

/*
// descent_cgocheck_take receives host memory as cuMemcpyHtoDAsync and
// cuMemcpyDtoHAsync do (a void*), so the Go side's call gets the same check.
static void descent_cgocheck_take(void* host) { (void)host; }
*/
import "C"

import "unsafe"

// Enabled reports whether Pass reaches C, and so cgo's pointer check.
const Enabled = true

// Pass hands host to C as gorgonia.org/cu hands a copy's host buffer; it
// panics ("cgo argument has Go pointer to unpinned Go pointer") when the heap
// object holding host also holds Go pointers. It allocates nothing.
func Pass(host unsafe.Pointer) { C.descent_cgocheck_take(host) }
