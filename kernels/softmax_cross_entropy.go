package kernels

import (
	"fmt"
	"math"
)

// The loss takes n rows of logits over classes and one label per row, the class
// index stored as a float of the graph's element type. Rows are evaluated in
// float64 with the log-sum-exp shift, so huge logits neither overflow nor lose
// the small terms.

// rowGrain is the number of rows per ParallelFor chunk: about elementGrain
// logits.
func rowGrain(classes int) int { return max(1, elementGrain/classes) }

// SoftmaxCrossEntropyForward returns the mean over the n rows of
// −log softmax(logits)[label]. It reports the first label that is not an
// integer class index in [0, classes).
func SoftmaxCrossEntropyForward[T Float](n, classes int, logits, labels []T) (T, error) {
	for i, v := range labels[:n] {
		if _, ok := classIndex(v, classes); !ok {
			return 0, fmt.Errorf("softmax cross-entropy: label %v of row %d is not a class index in [0, %d)", v, i, classes)
		}
	}
	partial := make([]float64, Chunks(n, rowGrain(classes)))
	ParallelFor(n, rowGrain(classes), func(chunk, lo, hi int) {
		var sum float64
		for i := lo; i < hi; i++ {
			row := logits[i*classes : (i+1)*classes]
			shift, logSum := logSumExp(row)
			k, _ := classIndex(labels[i], classes)
			sum += logSum + shift - float64(row[k])
		}
		partial[chunk] = sum
	})
	var loss float64
	for _, s := range partial {
		loss += s
	}
	return T(loss / float64(n)), nil
}

// SoftmaxCrossEntropyBackward sets dlogits = dloss·(softmax(logits) − onehot(label))/n.
// The labels are those the forward pass accepted; a row whose label is not a
// class index gets no one-hot term.
func SoftmaxCrossEntropyBackward[T Float](n, classes int, logits, labels []T, dloss T, dlogits []T) {
	scale := float64(dloss) / float64(n)
	ParallelFor(n, rowGrain(classes), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := logits[i*classes : (i+1)*classes]
			grad := dlogits[i*classes : (i+1)*classes]
			grad = grad[:len(row)]
			shift, logSum := logSumExp(row)
			for j, v := range row {
				grad[j] = T(scale * math.Exp(float64(v)-shift-logSum))
			}
			if k, ok := classIndex(labels[i], classes); ok {
				grad[k] = T(scale * (math.Exp(float64(row[k])-shift-logSum) - 1))
			}
		}
	})
}

// logSumExp returns the row's maximum and log Σ exp(v − maximum).
func logSumExp[T Float](row []T) (shift, logSum float64) {
	m := row[0]
	for _, v := range row[1:] {
		m = max(m, v)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - float64(m))
	}
	return float64(m), math.Log(sum)
}

// classIndex converts a label to its class index if it is an integer in [0, classes).
func classIndex[T Float](label T, classes int) (int, bool) {
	f := float64(label)
	if !(f >= 0 && f < float64(classes)) || f != math.Trunc(f) {
		return 0, false
	}
	return int(f), true
}

// CountCorrect counts the rows whose first maximal logit is at the label's class.
func CountCorrect[T Float](n, classes int, logits, labels []T) int {
	correct := 0
	for i := 0; i < n; i++ {
		row := logits[i*classes : (i+1)*classes]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if k, ok := classIndex(labels[i], classes); ok && k == best {
			correct++
		}
	}
	return correct
}
