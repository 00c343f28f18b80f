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
// indices covering [0, n). Chunks run concurrently on up to GOMAXPROCS goroutines;
// which goroutine runs a chunk varies, the chunk boundaries do not.
func ParallelFor(n, grain int, fn func(chunk, lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := Chunks(n, grain)
	workers := runtime.GOMAXPROCS(0)
	if workers > chunks {
		workers = chunks
	}
	run := func(c int) {
		lo := c * grain
		hi := lo + grain
		if hi > n {
			hi = n
		}
		fn(c, lo, hi)
	}
	if workers <= 1 {
		for c := 0; c < chunks; c++ {
			run(c)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				run(c)
			}
		}()
	}
	wg.Wait()
}
