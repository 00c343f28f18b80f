//go:build !cgo

package cgocheck

import "unsafe"

// Enabled reports whether Pass reaches C, and so cgo's pointer check.
const Enabled = false

// Pass does nothing: without cgo there is no pointer check to meet.
func Pass(unsafe.Pointer) {}
