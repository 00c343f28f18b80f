// Package cgocheck lets default-build tests catch a host buffer that the gpu
// build could not hand to the CUDA driver. gorgonia.org/cu passes a copy's
// host memory to C as an unsafe.Pointer; cgo's pointer check (on by default,
// GODEBUG=cgocheck=1) then scans the whole Go heap object holding that memory
// and panics if it contains any Go pointer — an [8]byte field of a struct that
// also holds maps or slices fails where make([]byte, 8) passes. Pass does
// the same through a C function declared the way cu declares its parameters,
// and Device routes every transfer of a launch.Device through Pass, so that
// tests of the device backend and the device optimizer meet the check on any
// machine with a C compiler. Built without cgo, Pass does nothing and Enabled
// is false.
package cgocheck
