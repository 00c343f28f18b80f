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
}

// N is the number of samples in the batch.
func (b *Batch) N() int { return b.X.Shape[0] }

// Loader yields the batches of an epoch (epochs count from 1). A yielded batch
// is valid until the loop asks for the next one.
type Loader interface {
	Epoch(epoch int) iter.Seq[*Batch]
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
			b = Batch{Index: ab.Index, X: x, Labels: ab.Labels}
			if !yield(&b) {
				return
			}
		}
	}
}

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
