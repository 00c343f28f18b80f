package trainer

import (
	"fmt"
	"math"
	"slices"

	"github.com/descent-ml/descent/graph"
)

// Result is a model's performance on a data set, in evaluation mode.
type Result struct {
	Loss     float64 // mean over the samples; NaN for no samples
	Accuracy float64 // Correct/Count; NaN for no samples (and 0 for a regression)
	Correct  int
	Count    int
}

// Evaluate runs the model in evaluation mode (dropout off, batch norm's
// running statistics) over every batch of loader's epoch 0.
func (t *Trainer) Evaluate(loader Loader) (Result, error) { return t.EvaluateEach(loader, nil) }

// EvaluateEach is Evaluate that also hands each batch and its logits (one
// row of scores per sample, valid until observe returns) to observe, for a
// report that needs more than the loss and accuracy.
func (t *Trainer) EvaluateEach(loader Loader, observe func(b *Batch, logits *graph.Buffer) error) (Result, error) {
	var sum float64
	var r Result
	for b := range loader.Epoch(0) {
		labels, err := t.labelsOf(b)
		if err != nil {
			return Result{}, err
		}
		loss, correct, logits, err := t.machine.Evaluate(b.X, labels)
		if err != nil {
			return Result{}, err
		}
		if observe != nil {
			if err := observe(b, logits); err != nil {
				return Result{}, err
			}
		}
		sum += loss * float64(b.N())
		r.Correct += correct
		r.Count += b.N()
	}
	if err := loaderErr(loader); err != nil {
		return Result{}, err
	}
	if r.Count == 0 {
		r.Loss, r.Accuracy = math.NaN(), math.NaN()
		return r, nil
	}
	r.Loss, r.Accuracy = sum/float64(r.Count), float64(r.Correct)/float64(r.Count)
	return r, nil
}

// Predict returns the class probabilities (softmax of the logits, evaluation
// mode) of every image of x, an N×… batch in the model's dtype: one row of
// probabilities per image.
func (t *Trainer) Predict(x *graph.Buffer) ([][]float64, error) {
	if t.model.Regression {
		return nil, fmt.Errorf("trainer: Predict gives class probabilities; the model is a regression")
	}
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("trainer: Predict needs an N×… batch, got shape %v", x.Shape)
	}
	n := x.Shape[0]
	labels := graph.NewBuffer(t.model.Dtype, n) // any class: only the logits are read
	_, _, logits, err := t.machine.Evaluate(x, labels)
	if err != nil {
		return nil, err
	}
	classes := logits.Len() / n
	probs := make([][]float64, n)
	for i := range probs {
		row := make([]float64, classes)
		for j := range row {
			row[j] = logits.At(i*classes + j)
		}
		top := slices.Max(row)
		var sum float64
		for j, v := range row {
			row[j] = math.Exp(v - top)
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
		probs[i] = row
	}
	return probs, nil
}
