package kernels

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
)

// ParallelFor covers [0, n) once, in chunks whose boundaries depend on n and
// the grain only, whatever GOMAXPROCS is, also when calls nest.
func TestParallelForCoversChunksOnce(t *testing.T) {
	for _, procs := range []int{1, 2, 5} {
		atProcs(procs, func() {
			for _, c := range [][2]int{{0, 3}, {1, 1}, {10, 3}, {1000, 7}, {64, 64}} {
				n, grain := c[0], c[1]
				seen := make([]atomic.Int32, n)
				var chunks atomic.Int32
				ParallelFor(n, grain, func(chunk, lo, hi int) {
					chunks.Add(1)
					if lo != chunk*grain || hi != min(lo+grain, n) {
						t.Errorf("procs %d n %d grain %d: chunk %d is [%d, %d)", procs, n, grain, chunk, lo, hi)
					}
					ParallelFor(hi-lo, 2, func(_, a, b int) { // nested calls must not deadlock
						for i := lo + a; i < lo+b; i++ {
							seen[i].Add(1)
						}
					})
				})
				if int(chunks.Load()) != Chunks(n, grain) {
					t.Errorf("procs %d n %d grain %d: %d chunks, want %d", procs, n, grain, chunks.Load(), Chunks(n, grain))
				}
				for i := range seen {
					if seen[i].Load() != 1 {
						t.Fatalf("procs %d n %d grain %d: index %d visited %d times", procs, n, grain, i, seen[i].Load())
					}
				}
			}
		})
	}
}

// A dispatch allocates nothing: kernels call ParallelFor dozens of times per
// training step. (testing.AllocsPerRun would run on one proc, where nothing is
// dispatched.)
func TestParallelForAllocatesNothing(t *testing.T) {
	atProcs(2, func() {
		var sink [64]float64
		fn := func(chunk, lo, hi int) { sink[chunk] += float64(hi - lo) }
		ParallelFor(64, 1, fn) // start the workers
		var before, after runtime.MemStats
		const calls = 1000
		runtime.ReadMemStats(&before)
		for range calls {
			ParallelFor(64, 1, fn)
		}
		runtime.ReadMemStats(&after)
		// The runtime's own allocations remain: a worker that blocks after
		// polling takes a sudog from its P's cache, which goroutines moving
		// between Ps can leave empty (up to 11 in 1000 calls seen). A
		// dispatch that allocated would show at least 1000.
		if a := after.Mallocs - before.Mallocs; a > 30 {
			t.Errorf("%d allocations in %d calls", a, calls)
		}
	})
}

// BenchmarkParallelFor is the cost of one dispatch with trivial chunks.
func BenchmarkParallelFor(b *testing.B) {
	for _, chunks := range []int{1, 2, 8} {
		b.Run(fmt.Sprint("chunks=", chunks), func(b *testing.B) {
			var sink [8]int
			fn := func(chunk, lo, hi int) { sink[chunk] += hi - lo }
			for b.Loop() {
				ParallelFor(chunks, 1, fn)
			}
		})
	}
}
