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
	j := getJob()
	j.fn, j.n, j.grain, j.chunks = fn, n, grain, chunks
	j.next.Store(0)
	j.pending.Store(int64(chunks))
	workers.offer(j, j.gen.Load(), helpers)
	j.run()
	j.wait()
	j.retire()
	putJob(j)
}

// job is one ParallelFor call. Goroutines claim chunks until none is left; the
// caller waits for the chunks, not for the helpers, so a helper that arrives
// late (or never, because all workers are busy, say in a nested call) is harmless.
// Jobs are pooled, so a dispatch allocates nothing: a helper that arrives after
// the call is over finds a newer generation and leaves without touching the job.
type job struct {
	fn               func(chunk, lo, hi int)
	n, grain, chunks int
	next             atomic.Int64
	pending          atomic.Int64  // chunks not yet finished
	gen              atomic.Uint64 // the call the job serves; offers carry it
	helpers          atomic.Int32  // helpers inside join
}

// jobs holds the idle jobs. A buffered channel rather than a sync.Pool, whose
// caches are per P: a caller that moved to another P (idle workers yield
// while they poll, see next) would miss its job there and allocate one.
var jobs = make(chan *job, 64)

func getJob() *job {
	select {
	case j := <-jobs:
		return j
	default:
		return new(job)
	}
}

func putJob(j *job) {
	select {
	case jobs <- j:
	default:
	}
}

func (j *job) run() {
	for {
		c := int(j.next.Add(1) - 1)
		if c >= j.chunks {
			return
		}
		lo := c * j.grain
		j.fn(c, lo, min(lo+j.grain, j.n))
		j.pending.Add(-1)
	}
}

// wait returns once the chunks that helpers claimed have run. The caller
// polls rather than blocks: those chunks are as short as its own, and a
// caller that parks is woken through the scheduler, which costs more than
// the wait (a waiting WaitGroup made the MLP's steps vary 630–1,190 µs).
func (j *job) wait() {
	for i := 1; j.pending.Load() != 0; i++ {
		if i%64 == 0 {
			runtime.Gosched()
		}
	}
}

// join runs chunks of the call gen, if the job still serves it.
func (j *job) join(gen uint64) {
	j.helpers.Add(1)
	if j.gen.Load() == gen {
		j.run()
	}
	j.helpers.Add(-1)
}

// retire ends the job's call once every chunk has run: later helpers see the
// next generation, and those already inside (who find no chunk left) leave
// before the job is reused.
func (j *job) retire() {
	j.gen.Add(1)
	for j.helpers.Load() != 0 {
		runtime.Gosched()
	}
	j.fn = nil
}

// workerPool keeps goroutines alive between calls, so a kernel launch costs a
// channel send per helper rather than a goroutine start.
type workerPool struct {
	mu      sync.Mutex
	started int
	queue   chan offer
}

// offer is a job for a helper, for the call of generation gen.
type offer struct {
	job *job
	gen uint64
}

var workers = &workerPool{queue: make(chan offer, 256)}

// offer hands j to up to helpers idle workers, starting workers as GOMAXPROCS
// allows; a full queue just means the caller does more of the work itself.
func (p *workerPool) offer(j *job, gen uint64, helpers int) {
	p.mu.Lock()
	for p.started < helpers {
		p.started++
		go func() {
			for {
				o, ok := p.next()
				if !ok {
					return
				}
				o.job.join(o.gen)
			}
		}()
	}
	p.mu.Unlock()
	for i := 0; i < helpers; i++ {
		select {
		case p.queue <- offer{j, gen}:
		default:
			return
		}
	}
}

// workerPolls is how many times an idle worker looks for the next offer,
// yielding in between, before it blocks on the queue. A training step's
// kernels follow each other within microseconds, and a worker that blocks at
// once parks its thread, to be woken through the OS (a futex) for every one:
// polling made LeNet's step 6 % faster, and 1,024 polls rather than 256 (with
// the caller's polling wait) took the MLP's median step from 826 to 602–616
// µs. Yielding lets any other runnable goroutine, the data loader's, have the
// core meanwhile.
const workerPolls = 1024

// next is the next offer for a worker; ok is false once the queue is closed.
func (p *workerPool) next() (o offer, ok bool) {
	for range workerPolls {
		select {
		case o, ok = <-p.queue:
			return o, ok
		default:
			runtime.Gosched()
		}
	}
	o, ok = <-p.queue
	return o, ok
}
