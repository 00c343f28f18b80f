package trainer

import (
	"iter"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/graph"
)

// Batch is one batch of a Loader: the inputs and either a classifier's labels
// or a regression's targets.
type Batch struct {
	Index   int           // position in its epoch
	X       *graph.Buffer // N×… inputs in the model's dtype
	Labels  []int         // N class indices (classifiers)
	Targets *graph.Buffer // the regression's targets, shaped like its output (instead of Labels)
	// Samples are the batch's indices in its dataset (nil: unknown), and
	// Skipped the bad images its loader left out of it.
	Samples []int
	Skipped int
}

// N is the number of samples in the batch.
func (b *Batch) N() int { return b.X.Shape[0] }

// Loader yields the batches of an epoch (epochs count from 1). A yielded batch
// is valid until the loop asks for the next one. A loader whose epoch can end
// early on an error (an image that cannot be read) also has an Err method
// (see ErrLoader), which the trainer reads after every epoch.
type Loader interface {
	Epoch(epoch int) iter.Seq[*Batch]
}

// ErrLoader is a Loader that keeps the error that ended its latest epoch
// early (nil: none).
type ErrLoader interface {
	Loader
	Err() error
}

// loaderErr is l's error of the latest epoch, if it keeps one.
func loaderErr(l Loader) error {
	if el, ok := l.(ErrLoader); ok {
		return el.Err()
	}
	return nil
}

// Images feeds the batches of an image loader (package augment) to a trainer.
func Images(l *augment.Loader) Loader { return imageLoader{l} }

type imageLoader struct{ l *augment.Loader }

func (il imageLoader) Epoch(epoch int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		x := &graph.Buffer{Shape: make([]int, 4)}
		var b Batch
		for ab := range il.l.Epoch(epoch) {
			x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3] = ab.N, ab.C, ab.H, ab.W
			x.F32 = ab.X
			b = Batch{Index: ab.Index, X: x, Labels: ab.Labels, Samples: ab.Samples, Skipped: ab.Skipped}
			if !yield(&b) {
				return
			}
		}
	}
}

func (il imageLoader) Err() error { return il.l.Err() }

// FullBatch yields b as the only batch of every epoch: full-batch gradient
// descent on data held in memory.
func FullBatch(b Batch) Loader { return fullBatch{b} }

type fullBatch struct{ b Batch }

func (f fullBatch) Epoch(int) iter.Seq[*Batch] {
	return func(yield func(*Batch) bool) {
		b := f.b
		yield(&b)
	}
}
