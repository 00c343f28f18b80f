package augment

import (
	"errors"
	"fmt"
	"iter"
	"log"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/descent-ml/descent/data"
)

// DefaultPrefetch is the number of batches prepared ahead when Config.Prefetch is 0.
const DefaultPrefetch = 2

// chunkSize is how many samples one work item holds: batches are cut into chunks so
// that several workers share even a single large batch.
const chunkSize = 16

// Config configures a Loader.
type Config struct {
	BatchSize int
	Shuffle   bool   // draw a new sample order every epoch (from Seed and the epoch)
	DropLast  bool   // skip a last batch smaller than BatchSize
	Seed      uint64 // run seed of the shuffling and of every random transform
	// Workers is the number of goroutines preparing batches (0: GOMAXPROCS).
	Workers int
	// Prefetch is the number of batches prepared ahead of the one in use
	// (0: DefaultPrefetch). The Loader holds Prefetch+1 batch buffers.
	Prefetch int
	// Transform augments each sample (nil: none, as for evaluation).
	Transform Transform
	// Normalizer converts the result to float32 (nil: pixel/255).
	Normalizer *data.Normalizer
	// SkipBadImages leaves out a sample whose image cannot be read or decoded
	// (logged once through Logf, counted in Batch.Skipped) instead of ending
	// the epoch with its error. Which samples are left out depends only on the
	// files, so batches stay the same run after run and across resumes.
	SkipBadImages bool
	// Logf reports each skipped image once (nil: log.Printf).
	Logf func(format string, args ...any)
}

// Batch is a prepared batch: N samples as float32 NCHW values with their labels.
type Batch struct {
	Index      int // position of the batch in its epoch
	N, C, H, W int
	X          []float32 // N·C·H·W values
	Labels     []int
	Samples    []int // dataset index of each sample
	// Skipped is the number of this batch's samples left out as bad images
	// (Config.SkipBadImages): N is that many fewer than the batch size.
	Skipped int
}

// Loader yields a dataset as batches, prepared by worker goroutines while the
// previous batch is in use. A sample's augmentation depends only on the seed, the
// epoch and the sample's index, so the batches of an epoch are the same whatever
// the number of workers. Images of a Source that decodes on demand (a
// data.Stream) are decoded by the workers, so memory holds the Prefetch+1
// batches and one image per worker, whatever the dataset's size.
type Loader struct {
	ds      data.Source
	cfg     Config
	norm    *data.Normalizer
	c, h, w int
	// checkEach: the Source's image shapes were not all checked by NewLoader,
	// so each sample's is checked before it is transformed.
	checkEach bool

	mu      sync.Mutex // guards the spare buffers, shared by concurrent epochs
	slots   []*slot
	workers []*worker
	logged  map[int]bool // samples whose skipping was logged
	err     error        // what ended the latest failed Epoch
}

// slot is one batch buffer and its completion signal.
type slot struct {
	Batch
	failed  []error       // per position: why the sample could not be prepared
	pending atomic.Int32  // chunks still being prepared
	done    chan struct{} // receives once when pending reaches zero
}

// worker is the scratch memory of one worker goroutine.
type worker struct {
	ctx     *Context
	decoded data.Image // the Source's image, when it decodes
	out     data.Image // the transform's result
}

// badImageError marks an image that could not be read or decoded, which
// Config.SkipBadImages may leave out.
type badImageError struct{ err error }

func (e badImageError) Error() string { return e.err.Error() }
func (e badImageError) Unwrap() error { return e.err }

// chunk is the work item of a worker: samples [lo, hi) of a slot's batch.
type chunk struct {
	s      *slot
	lo, hi int
}

// NewLoader checks cfg against ds (batch size, transform parameters and output
// shape, normalization channels) and returns a Loader. The shapes of an
// in-memory data.Dataset are all checked here; those of another Source (a
// data.Stream) are read from the first image's header, and every image is
// checked when it is decoded.
func NewLoader(ds data.Source, cfg Config) (*Loader, error) {
	if d, ok := ds.(*data.Dataset); ds == nil || ok && d == nil || ds.Len() == 0 {
		return nil, errors.New("augment: loader over an empty dataset")
	}
	if d, ok := ds.(*data.Dataset); ok {
		if err := d.Check(); err != nil {
			return nil, fmt.Errorf("augment: %w", err)
		}
	}
	n := ds.Len()
	switch {
	case cfg.BatchSize < 1:
		return nil, fmt.Errorf("augment: batch size %d must be positive", cfg.BatchSize)
	case cfg.DropLast && cfg.BatchSize > n:
		return nil, fmt.Errorf("augment: batch size %d with drop-last leaves no batch of the %d samples", cfg.BatchSize, n)
	case cfg.Workers < 0:
		return nil, fmt.Errorf("augment: %d workers", cfg.Workers)
	case cfg.Prefetch < 0:
		return nil, fmt.Errorf("augment: prefetch %d must be non-negative", cfg.Prefetch)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Prefetch == 0 {
		cfg.Prefetch = DefaultPrefetch
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	l := &Loader{ds: ds, cfg: cfg, norm: cfg.Normalizer, logged: map[int]bool{}}
	if d, ok := ds.(*data.Dataset); ok {
		if err := l.checkShapes(d); err != nil {
			return nil, err
		}
	} else if err := l.probeShape(); err != nil {
		return nil, err
	}
	if l.norm == nil {
		l.norm, _ = data.NewNormalizer(data.NormNone, data.Stats{})
	}
	if err := l.norm.CheckChannels(l.c); err != nil {
		return nil, fmt.Errorf("augment: %w", err)
	}
	return l, nil
}

// checkShapes sets the output shape and checks that every image gets it.
func (l *Loader) checkShapes(ds *data.Dataset) error {
	type shape3 struct{ c, h, w int }
	seen := map[shape3]bool{}
	for i, m := range ds.Images {
		in := shape3{m.C, m.H, m.W}
		if seen[in] {
			continue
		}
		out := in
		if l.cfg.Transform != nil {
			var err error
			if out.c, out.h, out.w, err = l.cfg.Transform.OutputShape(in.c, in.h, in.w); err != nil {
				return fmt.Errorf("augment: transform of image %d (%d×%d×%d): %w", i, in.c, in.h, in.w, err)
			}
		}
		if len(seen) == 0 {
			l.c, l.h, l.w = out.c, out.h, out.w
		} else if out != (shape3{l.c, l.h, l.w}) {
			return fmt.Errorf("augment: image %d (%d×%d×%d) becomes %d×%d×%d but image 0 becomes %d×%d×%d; "+
				"a batch needs one shape: resize or crop to a fixed size", i, in.c, in.h, in.w, out.c, out.h, out.w, l.c, l.h, l.w)
		}
		seen[in] = true
	}
	return nil
}

// probeShape sets the output shape from the first image whose header reads
// (skipping unreadable ones when allowed): every image must then give it.
func (l *Loader) probeShape() error {
	l.checkEach = true
	for i := range l.ds.Len() {
		c, h, w, err := l.ds.ImageShape(i)
		if err != nil {
			if l.cfg.SkipBadImages {
				continue
			}
			return fmt.Errorf("augment: %w", err)
		}
		if l.cfg.Transform == nil {
			l.c, l.h, l.w = c, h, w
			return nil
		}
		if l.c, l.h, l.w, err = l.cfg.Transform.OutputShape(c, h, w); err != nil {
			return fmt.Errorf("augment: transform of %s (%d×%d×%d): %w", l.ds.Name(i), c, h, w, err)
		}
		return nil
	}
	return fmt.Errorf("augment: none of the %d images can be read", l.ds.Len())
}

// Len is the number of batches per epoch (fewer are yielded when every
// sample of a batch is a skipped bad image).
func (l *Loader) Len() int {
	n, b := l.ds.Len(), l.cfg.BatchSize
	if l.cfg.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Shape is the C, H, W of every prepared sample.
func (l *Loader) Shape() (c, h, w int) { return l.c, l.h, l.w }

// Order returns the dataset indices in the order epoch visits them: a permutation
// drawn from the seed and the epoch when shuffling, else 0, 1, 2, …
func (l *Loader) Order(epoch int) []int {
	order := make([]int, l.ds.Len())
	for i := range order {
		order[i] = i
	}
	if l.cfg.Shuffle {
		r := rand.New(rand.NewPCG(mix64(l.cfg.Seed^shuffleStream), mix64(uint64(epoch))))
		r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// shuffleStream ("shuffle" in ASCII) separates the shuffling's random stream
// from the augmentations' streams of the same run seed.
const shuffleStream = 0x73687566666c65

// Epoch yields the batches of one epoch in order. A yielded batch and its slices are
// valid until the loop asks for the next one; breaking out of the loop stops the
// workers. Several epochs may run at the same time, each with its own buffers.
// An image that cannot be prepared ends the epoch early: Err then says why.
// An in-memory Dataset never fails.
func (l *Loader) Epoch(epoch int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		l.mu.Lock()
		l.err = nil
		l.mu.Unlock()
		for b, err := range l.Batches(epoch) {
			if err != nil {
				l.mu.Lock()
				l.err = err
				l.mu.Unlock()
				return
			}
			if !yield(b) {
				return
			}
		}
	}
}

// Err is the error that ended the latest Epoch early, nil if it ran to its
// end or was stopped by its caller.
func (l *Loader) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Batches is Epoch with the errors: it yields the batches with a nil error,
// or, when an image cannot be prepared (a read or decode error naming the
// file, unless skipped; an image whose shape the transform cannot bring to
// the batch's), a nil batch and the error, last.
func (l *Loader) Batches(epoch int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		slots, workers := l.take()
		defer l.give(slots, workers)
		free := make(chan *slot, len(slots))
		ready := make(chan *slot, len(slots))
		for _, s := range slots {
			free <- s
		}
		jobs := make(chan chunk, len(workers))
		quit := make(chan struct{})
		var wg sync.WaitGroup
		for _, wk := range workers {
			wg.Go(func() {
				for j := range jobs {
					l.prepare(j, epoch, wk)
					if j.s.pending.Add(-1) == 0 {
						j.s.done <- struct{}{}
					}
				}
			})
		}
		go l.dispatch(l.Order(epoch), free, ready, jobs, quit)
		defer func() {
			close(quit) // stops the dispatcher, which closes jobs, which stops the workers
			wg.Wait()
			for _, s := range slots {
				select { // a batch finished after the loop stopped leaves a signal
				case <-s.done:
				default:
				}
			}
		}()
		for s := range ready {
			<-s.done
			if err := l.settle(s); err != nil {
				yield(nil, err)
				return
			}
			if s.N > 0 && !yield(&s.Batch, nil) {
				return
			}
			free <- s
		}
	}
}

// dispatch hands out the epoch's batches in order, each as soon as a buffer is free.
func (l *Loader) dispatch(order []int, free <-chan *slot, ready chan<- *slot, jobs chan<- chunk, quit <-chan struct{}) {
	defer close(jobs)
	defer close(ready)
	b := l.cfg.BatchSize
	for k := range l.Len() {
		var s *slot
		select {
		case s = <-free:
		case <-quit:
			return
		}
		samples := order[k*b : min((k+1)*b, len(order))]
		s.Index, s.N = k, len(samples)
		s.X = s.X[:s.N*l.c*l.h*l.w]
		s.Labels = s.Labels[:s.N]
		s.Samples = append(s.Samples[:0], samples...)
		s.failed = s.failed[:s.N]
		clear(s.failed)
		s.Skipped = 0
		s.pending.Store(int32((s.N + chunkSize - 1) / chunkSize))
		ready <- s // never blocks: ready holds as many as there are buffers
		for lo := 0; lo < s.N; lo += chunkSize {
			select {
			case jobs <- chunk{s, lo, min(lo+chunkSize, s.N)}:
			case <-quit:
				return
			}
		}
	}
}

// prepare decodes (for a Source that decodes), augments and normalizes the
// samples of one chunk. A sample that fails is recorded in the slot.
func (l *Loader) prepare(j chunk, epoch int, wk *worker) {
	size := l.c * l.h * l.w
	for pos := j.lo; pos < j.hi; pos++ {
		index := j.s.Samples[pos]
		img, err := l.ds.Image(index, &wk.decoded)
		if err != nil {
			j.s.failed[pos] = badImageError{err}
			continue
		}
		if l.checkEach {
			if err := l.checkShape(index, img); err != nil {
				j.s.failed[pos] = err
				continue
			}
		}
		if l.cfg.Transform != nil {
			wk.ctx.Seed(l.cfg.Seed, epoch, index)
			img = l.cfg.Transform.Apply(&wk.out, img, wk.ctx)
		}
		if img.C != l.c || img.H != l.h || img.W != l.w || len(img.Pix) != size {
			panic(fmt.Sprintf("augment: %T produced a %d×%d×%d image, its OutputShape promised %d×%d×%d", l.cfg.Transform, img.C, img.H, img.W, l.c, l.h, l.w))
		}
		l.norm.Apply(j.s.X[pos*size:(pos+1)*size], img)
		j.s.Labels[pos] = l.ds.Label(index)
	}
}

// checkShape checks that a decoded image becomes a sample of the batch's shape.
func (l *Loader) checkShape(index int, img data.Image) error {
	c, h, w := img.C, img.H, img.W
	if l.cfg.Transform != nil {
		var err error
		if c, h, w, err = l.cfg.Transform.OutputShape(img.C, img.H, img.W); err != nil {
			return fmt.Errorf("augment: transform of %s (%d×%d×%d): %w", l.ds.Name(index), img.C, img.H, img.W, err)
		}
	}
	if c != l.c || h != l.h || w != l.w {
		return fmt.Errorf("augment: %s (%d×%d×%d) becomes %d×%d×%d, the batches are %d×%d×%d; "+
			"a batch needs one shape: resize or crop to a fixed size", l.ds.Name(index), img.C, img.H, img.W, c, h, w, l.c, l.h, l.w)
	}
	return nil
}

// settle handles a finished batch's failed samples: it returns the first
// error that ends the epoch, or leaves out the skipped bad images, moving the
// following samples down so that the batch stays contiguous.
func (l *Loader) settle(s *slot) error {
	if !slices.ContainsFunc(s.failed, func(err error) bool { return err != nil }) {
		return nil
	}
	size := l.c * l.h * l.w
	kept := 0
	for pos, err := range s.failed {
		if err != nil {
			if !l.cfg.SkipBadImages || !errors.As(err, new(badImageError)) {
				return err
			}
			l.logSkip(s.Samples[pos], err)
			s.Skipped++
			continue
		}
		if kept != pos {
			copy(s.X[kept*size:(kept+1)*size], s.X[pos*size:(pos+1)*size])
			s.Labels[kept], s.Samples[kept] = s.Labels[pos], s.Samples[pos]
		}
		kept++
	}
	s.N = kept
	s.X, s.Labels, s.Samples = s.X[:kept*size], s.Labels[:kept], s.Samples[:kept]
	return nil
}

// logSkip logs a skipped sample the first time it is skipped.
func (l *Loader) logSkip(index int, err error) {
	l.mu.Lock()
	first := !l.logged[index]
	l.logged[index] = true
	l.mu.Unlock()
	if first {
		l.cfg.Logf("skipping a bad image: %v", err)
	}
}

// take returns Prefetch+1 batch buffers and the scratch memory of each worker,
// reusing spare ones.
func (l *Loader) take() ([]*slot, []*worker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	nSlots, nWorkers := l.cfg.Prefetch+1, l.cfg.Workers
	capacity := min(l.cfg.BatchSize, l.ds.Len())
	for len(l.slots) < nSlots {
		l.slots = append(l.slots, &slot{
			Batch: Batch{
				C: l.c, H: l.h, W: l.w,
				X:       make([]float32, capacity*l.c*l.h*l.w),
				Labels:  make([]int, capacity),
				Samples: make([]int, 0, capacity),
			},
			failed: make([]error, 0, capacity),
			done:   make(chan struct{}, 1),
		})
	}
	for len(l.workers) < nWorkers {
		l.workers = append(l.workers, &worker{ctx: NewContext(l.cfg.Seed)})
	}
	slots := l.slots[len(l.slots)-nSlots:]
	workers := l.workers[len(l.workers)-nWorkers:]
	l.slots = l.slots[:len(l.slots)-nSlots]
	l.workers = l.workers[:len(l.workers)-nWorkers]
	// Clones: the spare lists' arrays are appended to again by give.
	return slices.Clone(slots), slices.Clone(workers)
}

// give returns buffers to the spares.
func (l *Loader) give(slots []*slot, workers []*worker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.slots = append(l.slots, slots...)
	l.workers = append(l.workers, workers...)
}
