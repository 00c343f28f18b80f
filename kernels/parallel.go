package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Chunks is the number of pieces ParallelFor cuts [0, n) into for a given grain:
// it depends on n and grain only, never on GOMAXPROCS, so any per-chunk partial
// results (reductions) are combined in the same order on every machine.
func Chunks(n, grain int) int {
	if grain < 1 {
		grain = 1
	}
	return (n + grain - 1) / grain
}

// ParallelFor calls fn(chunk, lo, hi) for consecutive ranges of at most grain
// indices covering [0, n). Chunks run concurrently on the calling goroutine and
// up to GOMAXPROCS−1 long-lived workers; which goroutine runs a chunk varies,
// the chunk boundaries do not. It returns when every chunk has run.
func ParallelFor(n, grain int, fn func(chunk, lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := Chunks(n, grain)
	helpers := min(runtime.GOMAXPROCS(0), chunks) - 1
	if helpers <= 0 {
		for c := 0; c < chunks; c++ {
			fn(c, c*grain, min(c*grain+grain, n))
		}
		return
	}
	j := &job{fn: fn, n: n, grain: grain, chunks: chunks}
	j.pending.Add(chunks)
	workers.offer(j, helpers)
	j.run()
	j.pending.Wait()
}

// job is one ParallelFor call. Goroutines claim chunks until none is left; the
// caller waits for the chunks, not for the helpers, so a helper that arrives
// late (or never, because all workers are busy, say in a nested call) is harmless.
type job struct {
	fn               func(chunk, lo, hi int)
	n, grain, chunks int
	next             atomic.Int64
	pending          sync.WaitGroup
}

func (j *job) run() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		lo := c * j.grain
		j.fn(c, lo, min(lo+j.grain, j.n))
		j.pending.Done()
	}
}

// workerPool keeps goroutines alive between calls, so a kernel launch costs a
// channel send per helper rather than a goroutine start.
type workerPool struct {
	mu      sync.Mutex
	started int
	queue   chan *job
}

var workers = &workerPool{queue: make(chan *job, 256)}

// offer hands j to up to helpers idle workers, starting workers as GOMAXPROCS
// allows; a full queue just means the caller does more of the work itself.
func (p *workerPool) offer(j *job, helpers int) {
	p.mu.Lock()
	for p.started < helpers {
		p.started++
		go func() {
			for j := range p.queue {
				j.run()
			}
		}()
	}
	p.mu.Unlock()
	for i := 0; i < helpers; i++ {
		select {
		case p.queue <- j:
		default:
			return
		}
	}
}
