package graph

import (
	"fmt"

	"github.com/descent-ml/descent/kernels/launch"
)

// Capture and replay: a program's first run goes launch by launch, its second
// is captured into a graph when the runtime records graphs (CUDA graphs), and
// every later run replays it.

// graphRecorder is a runtime that can record queued work into a replayable
// graph (CUDA graphs): BeginCapture, queue, EndCapture.
type graphRecorder interface {
	BeginCapture() error
	EndCapture() (replay func() error, err error)
}

// execute queues the steps: as a captured graph when the runtime records
// graphs and every step runs on the device, else launch by launch. The first
// run always goes launch by launch, so that loading kernels and cuBLAS's first
// calls happen outside a capture; the second is captured and replayed, and so
// is every later one.
func (b *deviceBackend) execute(dp *deviceProgram) error {
	if rec, ok := b.rt.(graphRecorder); ok && !dp.onHost && dp.ran && !dp.captured {
		dp.captured = true
		replay, err := capture(rec, b.rt, dp)
		if err != nil {
			b.warnOnce("capture", "cuda: running the program launch by launch: graph capture failed: %v", err)
		}
		dp.replay = replay
	}
	if dp.replay != nil {
		return dp.replay()
	}
	dp.ran = true
	return dp.queue(b.rt)
}

// forgetGraphs drops the captured graphs, so that the next run of each
// program captures its launches again (after a change of cuBLAS's math mode,
// which a graph has baked in).
func (b *deviceBackend) forgetGraphs() {
	for _, dp := range b.programs {
		dp.replay, dp.captured = nil, false
	}
}

// queue queues dp's steps and its epilogue on q.
func (dp *deviceProgram) queue(q launch.Queue) error {
	for i, c := range dp.commands {
		if err := c.queue(q); err != nil {
			s := dp.stepOf[i]
			return fmt.Errorf("step %d (%s): %w", s, dp.p.Steps[s].Name, err)
		}
	}
	if dp.update != nil {
		for _, l := range dp.update.launches {
			if err := q.Launch(l); err != nil {
				return fmt.Errorf("%s of the optimizer's update: %w", l.Kernel, err)
			}
		}
	}
	for _, l := range dp.epilogue {
		if err := q.Launch(l); err != nil {
			return fmt.Errorf("%s after the steps: %w", l.Kernel, err)
		}
	}
	return nil
}

// capture records dp's steps, queued on q, into a graph.
func capture(rec graphRecorder, q launch.Queue, dp *deviceProgram) (func() error, error) {
	if err := rec.BeginCapture(); err != nil {
		return nil, err
	}
	queued := dp.queue(q)
	replay, err := rec.EndCapture()
	if queued != nil {
		return nil, queued
	}
	return replay, err
}
