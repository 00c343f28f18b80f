package cgocheck

import (
	"testing"
	"unsafe"
)

// TestPassRejectsBufferInsidePointerfulObject shows the mechanism the device
// tests rely on: a byte array inside a struct that holds a Go pointer fails
// the check, a buffer of its own passes.
func TestPassRejectsBufferInsidePointerfulObject(t *testing.T) {
	if !Enabled {
		t.Skip("built without cgo: no pointer check")
	}
	type holder struct {
		names   map[string]int
		fetched [8]byte
	}
	h := &holder{names: map[string]int{"x": 1}}
	own := make([]byte, 8)
	Pass(unsafe.Pointer(&own[0]))
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("an [8]byte field beside a map passed cgo's pointer check")
		}
		t.Logf("rejected as cu's copy would be: %v", r)
	}()
	Pass(unsafe.Pointer(&h.fetched[0]))
}
