package augment

import (
	"errors"
	"fmt"
	"iter"
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
}

// Batch is a prepared batch: N samples as float32 NCHW values with their labels.
type Batch struct {
	Index      int // position of the batch in its epoch
	N, C, H, W int
	X          []float32 // N·C·H·W values
	Labels     []int
	Samples    []int // dataset index of each sample
}

// Loader yields a dataset as batches, prepared by worker goroutines while the
// previous batch is in use. A sample's augmentation depends only on the seed, the
// epoch and the sample's index, so the batches of an epoch are the same whatever
// the number of workers.
type Loader struct {
	ds      *data.Dataset
	cfg     Config
	norm    *data.Normalizer
	c, h, w int

	mu      sync.Mutex // guards the spare buffers, shared by concurrent epochs
	slots   []*slot
	workers []*Context
	images  []*data.Image
}

// slot is one batch buffer and its completion signal.
type slot struct {
	Batch
	pending atomic.Int32  // chunks still being prepared
	done    chan struct{} // receives once when pending reaches zero
}

// chunk is the work item of a worker: samples [lo, hi) of a slot's batch.
type chunk struct {
	s      *slot
	lo, hi int
}

// NewLoader checks cfg against ds (batch size, transform parameters and output
// shape, normalization channels) and returns a Loader.
func NewLoader(ds *data.Dataset, cfg Config) (*Loader, error) {
	if ds == nil || ds.Len() == 0 {
		return nil, errors.New("augment: loader over an empty dataset")
	}
	if err := ds.Check(); err != nil {
		return nil, fmt.Errorf("augment: %w", err)
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
	l := &Loader{ds: ds, cfg: cfg, norm: cfg.Normalizer}
	if err := l.checkShapes(); err != nil {
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
func (l *Loader) checkShapes() error {
	type shape3 struct{ c, h, w int }
	seen := map[shape3]bool{}
	for i, m := range l.ds.Images {
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

// Len is the number of batches per epoch.
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
func (l *Loader) Epoch(epoch int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		slots, contexts, images := l.take()
		defer l.give(slots, contexts, images)
		free := make(chan *slot, len(slots))
		ready := make(chan *slot, len(slots))
		for _, s := range slots {
			free <- s
		}
		jobs := make(chan chunk, len(contexts))
		quit := make(chan struct{})
		var wg sync.WaitGroup
		for k := range contexts {
			wg.Go(func() {
				for j := range jobs {
					l.prepare(j, epoch, contexts[k], images[k])
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
			if !yield(&s.Batch) {
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

// prepare augments and normalizes the samples of one chunk.
func (l *Loader) prepare(j chunk, epoch int, ctx *Context, tmp *data.Image) {
	size := l.c * l.h * l.w
	for pos := j.lo; pos < j.hi; pos++ {
		index := j.s.Samples[pos]
		img := l.ds.Images[index]
		if l.cfg.Transform != nil {
			ctx.Seed(l.cfg.Seed, epoch, index)
			img = l.cfg.Transform.Apply(tmp, img, ctx)
		}
		if img.C != l.c || img.H != l.h || img.W != l.w || len(img.Pix) != size {
			panic(fmt.Sprintf("augment: %T produced a %d×%d×%d image, its OutputShape promised %d×%d×%d", l.cfg.Transform, img.C, img.H, img.W, l.c, l.h, l.w))
		}
		l.norm.Apply(j.s.X[pos*size:(pos+1)*size], img)
		j.s.Labels[pos] = l.ds.Labels[index]
	}
}

// take returns Prefetch+1 batch buffers and one context and image per worker,
// reusing spare ones.
func (l *Loader) take() ([]*slot, []*Context, []*data.Image) {
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
			done: make(chan struct{}, 1),
		})
	}
	for len(l.workers) < nWorkers {
		l.workers = append(l.workers, NewContext(l.cfg.Seed))
		l.images = append(l.images, &data.Image{})
	}
	slots := l.slots[len(l.slots)-nSlots:]
	contexts := l.workers[len(l.workers)-nWorkers:]
	images := l.images[len(l.images)-nWorkers:]
	l.slots = l.slots[:len(l.slots)-nSlots]
	l.workers = l.workers[:len(l.workers)-nWorkers]
	l.images = l.images[:len(l.images)-nWorkers]
	// Clones: the spare lists' arrays are appended to again by give.
	return slices.Clone(slots), slices.Clone(contexts), slices.Clone(images)
}

// give returns buffers to the spares.
func (l *Loader) give(slots []*slot, contexts []*Context, images []*data.Image) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.slots = append(l.slots, slots...)
	l.workers = append(l.workers, contexts...)
	l.images = append(l.images, images...)
}
