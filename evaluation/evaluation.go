package evaluation

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// TopK is the k of the top-k accuracy reported beside top-1.
const TopK = 5

// Report accumulates a classifier's predictions on a test set: the confusion
// matrix, top-1 and top-k hits and the most confidently wrong samples.
type Report struct {
	Classes []string
	// Confusion[t][p] counts the samples of true class t predicted as p.
	Confusion [][]int
	N         int // samples seen
	Top1      int // samples whose true class has the highest score
	TopK      int // samples whose true class is among the TopK highest scores
	keep      int
	mistakes  []Mistake // the keep most confident mistakes, most confident first
	probs     []float64 // scratch: one row of probabilities
}

// Mistake is a misclassified sample: its index in the evaluated dataset, its
// true and predicted classes and the probability given to the prediction.
type Mistake struct {
	Sample      int
	True, Pred  int
	Probability float64
}

// New starts a report over classes, keeping the keepMistakes most
// confidently wrong samples for WriteMistakes.
func New(classes []string, keepMistakes int) (*Report, error) {
	if len(classes) < 2 {
		return nil, fmt.Errorf("evaluation: %d classes, a classifier has at least 2", len(classes))
	}
	if keepMistakes < 0 {
		return nil, fmt.Errorf("evaluation: %d misclassified images to keep", keepMistakes)
	}
	r := &Report{Classes: classes, Confusion: make([][]int, len(classes)), keep: keepMistakes, probs: make([]float64, len(classes))}
	for t := range r.Confusion {
		r.Confusion[t] = make([]int, len(classes))
	}
	return r, nil
}

// Add records a batch: logits holds one row of len(Classes) scores (logits,
// before softmax) per sample, labels the true classes and samples the samples'
// indices in the dataset (for the mistakes; nil: their positions counted from
// the first sample added). The predicted class is the first of the highest
// scores, as torch.argmax picks; a class is in the top k when fewer than k
// classes score higher than it or as high with a smaller index.
func (r *Report) Add(logits []float32, labels, samples []int) error {
	k := len(r.Classes)
	if len(logits) != len(labels)*k {
		return fmt.Errorf("evaluation: %d scores for %d samples of %d classes", len(logits), len(labels), k)
	}
	if samples != nil && len(samples) != len(labels) {
		return fmt.Errorf("evaluation: %d sample indices for %d labels", len(samples), len(labels))
	}
	for i, t := range labels {
		if t < 0 || t >= k {
			return fmt.Errorf("evaluation: label %d outside the %d classes", t, k)
		}
		row := logits[i*k : (i+1)*k]
		if slices.ContainsFunc(row, func(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }) {
			return errors.New("evaluation: a score is not finite")
		}
		pred, rank := 0, 0
		for j, v := range row {
			if v > row[pred] {
				pred = j
			}
			if v > row[t] || v == row[t] && j < t {
				rank++
			}
		}
		r.Confusion[t][pred]++
		if pred == t {
			r.Top1++
		}
		if rank < TopK {
			r.TopK++
		}
		sample := r.N
		if samples != nil {
			sample = samples[i]
		}
		r.N++
		if pred != t && r.keep > 0 {
			r.addMistake(Mistake{Sample: sample, True: t, Pred: pred, Probability: r.softmaxAt(row, pred)})
		}
	}
	return nil
}

// softmaxAt is softmax(row)[j], computed in float64 from the largest score.
func (r *Report) softmaxAt(row []float32, j int) float64 {
	top := float64(slices.Max(row))
	sum := 0.0
	for c, v := range row {
		r.probs[c] = math.Exp(float64(v) - top)
		sum += r.probs[c]
	}
	return r.probs[j] / sum
}

// addMistake keeps m if it is among the keep most confident mistakes; ties go
// to the smaller sample index, so the list does not depend on the batch order.
func (r *Report) addMistake(m Mistake) {
	before := func(a, b Mistake) bool {
		return a.Probability > b.Probability || a.Probability == b.Probability && a.Sample < b.Sample
	}
	at := len(r.mistakes)
	for at > 0 && before(m, r.mistakes[at-1]) {
		at--
	}
	if at >= r.keep {
		return
	}
	r.mistakes = slices.Insert(r.mistakes, at, m)
	if len(r.mistakes) > r.keep {
		r.mistakes = r.mistakes[:r.keep]
	}
}

// Mistakes are the most confidently wrong samples, most confident first.
func (r *Report) Mistakes() []Mistake { return slices.Clone(r.mistakes) }

// ClassMetrics are one class's figures. A class never predicted has precision
// 0, a class without samples recall 0, and F1 is 0 when both are (scikit-learn's
// zero_division=0).
type ClassMetrics struct {
	Class     string  `json:"class"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"`
}

// Summary is a report's figures, as eval -json prints them and the final
// metrics record carries them.
type Summary struct {
	N        int            `json:"n"`
	Top1     float64        `json:"top1"`
	Top5     float64        `json:"top5"`
	MacroF1  float64        `json:"macro_f1"`
	PerClass []ClassMetrics `json:"per_class"`
	// Confusion[t][p] counts the samples of true class t predicted as p.
	Confusion [][]int  `json:"confusion"`
	Classes   []string `json:"classes"`
}

// Summary computes the accuracies and the per-class figures.
func (r *Report) Summary() Summary {
	s := Summary{N: r.N, Classes: r.Classes, Confusion: r.Confusion, PerClass: make([]ClassMetrics, len(r.Classes))}
	if r.N > 0 {
		s.Top1 = float64(r.Top1) / float64(r.N)
		s.Top5 = float64(r.TopK) / float64(r.N)
	}
	for c, name := range r.Classes {
		predicted, support := 0, 0
		for t := range r.Classes {
			predicted += r.Confusion[t][c]
			support += r.Confusion[c][t]
		}
		m := ClassMetrics{Class: name, Support: support}
		hits := float64(r.Confusion[c][c])
		if predicted > 0 {
			m.Precision = hits / float64(predicted)
		}
		if support > 0 {
			m.Recall = hits / float64(support)
		}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		s.PerClass[c] = m
		s.MacroF1 += m.F1 / float64(len(r.Classes))
	}
	return s
}

// WriteText prints the summary as scikit-learn's classification_report lays
// it out: one row per class (precision, recall, F1, support), then the
// accuracies and the macro-averaged F1.
func (s Summary) WriteText(w io.Writer) error {
	width := len("class")
	for _, m := range s.PerClass {
		width = max(width, utf8.RuneCountInString(m.Class))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%*s  precision  recall  f1-score  support\n", width, "class")
	for _, m := range s.PerClass {
		fmt.Fprintf(&b, "%*s  %9.4f  %6.4f  %8.4f  %7d\n", width, m.Class, m.Precision, m.Recall, m.F1, m.Support)
	}
	fmt.Fprintf(&b, "top-1 accuracy %.4f, top-%d accuracy %.4f, macro F1 %.4f, %d samples\n", s.Top1, TopK, s.Top5, s.MacroF1, s.N)
	_, err := io.WriteString(w, b.String())
	return err
}
