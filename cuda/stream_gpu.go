//go:build gpu

package cuda

import (
	"gorgonia.org/cu"
)

// Stream is an ordered queue of device work.
type Stream struct {
	s   cu.Stream
	dev *Device
}

// NewStream creates a stream that does not synchronize with the legacy default
// stream.
func (d *Device) NewStream() (*Stream, error) {
	st := &Stream{dev: d}
	err := d.Do(func() error {
		var err error
		st.s, err = cu.MakeStream(cu.NonBlocking)
		return check("cuStreamCreate", err)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Synchronize waits for the stream's work.
func (s *Stream) Synchronize() error {
	return s.dev.Do(func() error { return check("cuStreamSynchronize", s.s.Synchronize()) })
}

// Close destroys the stream once its work is done.
func (s *Stream) Close() error {
	return s.dev.Do(func() error { return check("cuStreamDestroy", s.s.Destroy()) })
}

// Event marks a point in a stream, for timing and cross-stream waits.
type Event struct {
	e   cu.Event
	dev *Device
}

// NewEvent creates an event that records time.
func (d *Device) NewEvent() (*Event, error) { return d.newEvent(cu.DefaultEvent) }

// newEvent creates an event with flags: cu.DisableTiming makes the ones used
// only for ordering cheaper to record and wait on.
func (d *Device) newEvent(flags cu.EventFlags) (*Event, error) {
	ev := &Event{dev: d}
	err := d.Do(func() error {
		var err error
		ev.e, err = cu.MakeEvent(flags)
		return check("cuEventCreate", err)
	})
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// Record marks the current end of stream s.
func (e *Event) Record(s *Stream) error {
	return e.dev.Do(func() error { return check("cuEventRecord", e.e.Record(s.s)) })
}

// Wait makes stream s wait for the event before its later work.
func (e *Event) Wait(s *Stream) error {
	return e.dev.Do(func() error { return check("cuStreamWaitEvent", s.s.Wait(e.e, 0)) })
}

// Synchronize waits for the event.
func (e *Event) Synchronize() error {
	return e.dev.Do(func() error { return check("cuEventSynchronize", e.e.Synchronize()) })
}

// Elapsed is the time in milliseconds from e to end, both recorded and done.
func (e *Event) Elapsed(end *Event) (float64, error) {
	var ms float64
	err := e.dev.Do(func() error {
		var err error
		ms, err = e.e.Elapsed(end.e)
		return check("cuEventElapsedTime", err)
	})
	return ms, err
}

// Close destroys the event.
func (e *Event) Close() error {
	return e.dev.Do(func() error { return check("cuEventDestroy", cu.DestroyEvent(&e.e)) })
}
