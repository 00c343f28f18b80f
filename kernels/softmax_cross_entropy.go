package kernels

import (
	"fmt"
	"math"
)

// The loss takes n rows of logits over classes and a target per row: a class
// index stored as a float of the graph's element type, or a probability
// distribution over the classes (soft targets, as mixup and cutmix make them).
// Rows are evaluated in float64 with the log-sum-exp shift, so huge logits
// neither overflow nor lose the small terms.
//
// It is torch.nn.functional.cross_entropy with reduction "mean", class weights
// w and label smoothing ε. Row i compares log softmax(logits_i) with
//
//	q_ic = (1−ε)·t_ic + ε/classes,
//
// t_i the one-hot label or the given distribution, and costs
// ℓ_i = −Σ_c w_c·q_ic·log p_ic. The mean divides Σ ℓ_i by n for soft targets
// and by Σ_i w_{label_i} for class indices (n without weights), as PyTorch
// does; its smoothing term of weighted labels is normalized the same way.

// CrossEntropyTarget is what softmax cross-entropy compares the logits with.
type CrossEntropyTarget[T Float] struct {
	Values    []T  // n class indices, or n×classes probabilities when Soft
	Soft      bool // Values are probabilities
	Weights   []T  // one weight per class; nil weighs every class 1
	Smoothing T    // label smoothing ε in [0, 1)
}

// Labels is the plain target: class indices, no weights, no smoothing.
func Labels[T Float](labels []T) CrossEntropyTarget[T] {
	return CrossEntropyTarget[T]{Values: labels}
}

// weight is w_c.
func (t CrossEntropyTarget[T]) weight(c int) float64 {
	if t.Weights == nil {
		return 1
	}
	return float64(t.Weights[c])
}

// label is row i's class index, or −1 for an invalid label.
func (t CrossEntropyTarget[T]) label(i, classes int) int {
	if k, ok := classIndex(t.Values[i], classes); ok {
		return k
	}
	return -1
}

// softProb is q_ic for soft targets: (1−ε)·t_ic + ε/classes.
func (t CrossEntropyTarget[T]) softProb(i, c, classes int) float64 {
	eps := float64(t.Smoothing)
	return (1-eps)*float64(t.Values[i*classes+c]) + eps/float64(classes)
}

// rowLoss is ℓ_i = −Σ_c w_c·q_ic·log p_ic of row i, where
// −log p_ic = logSum + shift − logits_ic. For a label k it is
// −w_k·(1−ε)·log p_ik plus, with smoothing, −ε/classes·Σ_c w_c·log p_ic.
func (t CrossEntropyTarget[T]) rowLoss(i int, row []T, shift, logSum float64) float64 {
	classes := len(row)
	var loss float64
	if t.Soft {
		for c, v := range row {
			if q := t.softProb(i, c, classes); q != 0 {
				loss += t.weight(c) * q * (logSum + shift - float64(v))
			}
		}
		return loss
	}
	eps := float64(t.Smoothing)
	if k := t.label(i, classes); k >= 0 {
		loss = t.weight(k) * (1 - eps) * (logSum + shift - float64(row[k]))
	}
	if eps != 0 {
		base := eps / float64(classes)
		for c, v := range row {
			loss += t.weight(c) * base * (logSum + shift - float64(v))
		}
	}
	return loss
}

// rowGrad sets grad_j = scale·(s_i·softmax_ij − w_j·q_ij), s_i = Σ_c w_c·q_ic;
// weightSum is Σ_c w_c. A row whose label is not a class index gets no
// one-hot term.
func (t CrossEntropyTarget[T]) rowGrad(i int, row, grad []T, shift, logSum, scale, weightSum float64) {
	classes := len(row)
	if t.Soft {
		var mass float64
		for c := range row {
			mass += t.weight(c) * t.softProb(i, c, classes)
		}
		for j, v := range row {
			grad[j] = T(scale * (mass*math.Exp(float64(v)-shift-logSum) - t.weight(j)*t.softProb(i, j, classes)))
		}
		return
	}
	eps := float64(t.Smoothing)
	base := eps / float64(classes)
	k := t.label(i, classes)
	mass := base * weightSum
	if k >= 0 {
		mass += t.weight(k) * (1 - eps)
	}
	for j, v := range row {
		grad[j] = T(scale * (mass*math.Exp(float64(v)-shift-logSum) - t.weight(j)*base))
	}
	if k >= 0 {
		grad[k] = T(scale * (mass*math.Exp(float64(row[k])-shift-logSum) - t.weight(k)*(base+1-eps)))
	}
}

// weightSum is Σ_c w_c.
func (t CrossEntropyTarget[T]) weightSum(classes int) float64 {
	if t.Weights == nil {
		return float64(classes)
	}
	var sum float64
	for _, w := range t.Weights {
		sum += float64(w)
	}
	return sum
}

// denominator is what the mean divides the summed row losses by.
func (t CrossEntropyTarget[T]) denominator(n, classes int) float64 {
	if t.Soft || t.Weights == nil {
		return float64(n)
	}
	var sum float64
	for i := 0; i < n; i++ {
		if k := t.label(i, classes); k >= 0 {
			sum += t.weight(k)
		}
	}
	return sum
}

// check reports the first malformed part of t for n rows of classes.
func (t CrossEntropyTarget[T]) check(n, classes int) error {
	if s := float64(t.Smoothing); !(s >= 0 && s < 1) {
		return fmt.Errorf("softmax cross-entropy: label smoothing %v is outside [0, 1)", s)
	}
	if t.Weights != nil && len(t.Weights) != classes {
		return fmt.Errorf("softmax cross-entropy: %d class weights for %d classes", len(t.Weights), classes)
	}
	if t.Soft {
		if len(t.Values) < n*classes {
			return fmt.Errorf("softmax cross-entropy: %d target probabilities for %d rows of %d classes", len(t.Values), n, classes)
		}
		return nil
	}
	for i, v := range t.Values[:n] {
		if _, ok := classIndex(v, classes); !ok {
			return fmt.Errorf("softmax cross-entropy: label %v of row %d is not a class index in [0, %d)", v, i, classes)
		}
	}
	return nil
}

// rowGrain is the number of rows per ParallelFor chunk: about elementGrain
// logits.
func rowGrain(classes int) int { return max(1, elementGrain/classes) }

// SoftmaxCrossEntropyForward returns the mean over the n rows of the
// cross-entropy of softmax(logits) against target. It reports the first label
// that is not an integer class index in [0, classes), a smoothing outside
// [0, 1) and a wrong number of weights.
func SoftmaxCrossEntropyForward[T Float](n, classes int, logits []T, target CrossEntropyTarget[T]) (T, error) {
	if err := target.check(n, classes); err != nil {
		return 0, err
	}
	partial := make([]float64, Chunks(n, rowGrain(classes)))
	ParallelFor(n, rowGrain(classes), func(chunk, lo, hi int) {
		var sum float64
		for i := lo; i < hi; i++ {
			row := logits[i*classes : (i+1)*classes]
			shift, logSum := logSumExp(row)
			sum += target.rowLoss(i, row, shift, logSum)
		}
		partial[chunk] = sum
	})
	var loss float64
	for _, s := range partial {
		loss += s
	}
	return T(loss / target.denominator(n, classes)), nil
}

// SoftmaxCrossEntropyBackward sets dlogits_ij = dloss·(s_i·softmax_ij − w_j·q_ij)/D
// with s_i = Σ_c w_c·q_ic and D the forward pass's denominator. The target is
// one the forward pass accepted; a row whose label is not a class index gets
// no one-hot term.
func SoftmaxCrossEntropyBackward[T Float](n, classes int, logits []T, target CrossEntropyTarget[T], dloss T, dlogits []T) {
	scale := float64(dloss) / target.denominator(n, classes)
	weightSum := target.weightSum(classes)
	ParallelFor(n, rowGrain(classes), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := logits[i*classes : (i+1)*classes]
			shift, logSum := logSumExp(row)
			target.rowGrad(i, row, dlogits[i*classes:(i+1)*classes], shift, logSum, scale, weightSum)
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

// argMax is the index of the first maximal value.
func argMax[T Float](row []T) int {
	best := 0
	for j, v := range row {
		if v > row[best] {
			best = j
		}
	}
	return best
}

// CountCorrect counts the rows whose first maximal logit is at the target's
// class: the label, or for soft targets the dominant class (the first maximal
// probability), against which mixed batches measure accuracy.
func CountCorrect[T Float](n, classes int, logits, targets []T, soft bool) int {
	correct := 0
	for i := 0; i < n; i++ {
		best := argMax(logits[i*classes : (i+1)*classes])
		if soft {
			if argMax(targets[i*classes:(i+1)*classes]) == best {
				correct++
			}
		} else if k, ok := classIndex(targets[i], classes); ok && k == best {
			correct++
		}
	}
	return correct
}
