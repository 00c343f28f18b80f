package recipe

import (
	"fmt"
	"math"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/evaluation"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/trainer"
)

// Report evaluates a split in evaluation mode into the evaluation report
// (top-1/top-5, per-class figures, confusion matrix), keeping the
// keepMistakes most confidently wrong images; with the split's mean loss and
// accuracy. An empty split has no report (nil) and NaN figures.
func (r *Run) Report(ds data.Source, keepMistakes int) (trainer.Result, *evaluation.Report, error) {
	if ds.Len() == 0 {
		return trainer.Result{Loss: math.NaN(), Accuracy: math.NaN()}, nil, nil
	}
	rep, err := evaluation.New(r.Data.Classes, keepMistakes)
	if err != nil {
		return trainer.Result{}, nil, err
	}
	l, err := r.evalLoader(ds)
	if err != nil {
		return trainer.Result{}, nil, err
	}
	var scores []float32
	res, err := r.Trainer.EvaluateEach(l, func(b *trainer.Batch, logits *graph.Buffer) error {
		scores = scores[:0]
		for i := range logits.Len() {
			scores = append(scores, float32(logits.At(i)))
		}
		return rep.Add(scores, b.Labels, b.Samples)
	})
	if err != nil {
		return trainer.Result{}, nil, r.Cfg.imageError(err)
	}
	return res, rep, nil
}

// testReport evaluates the test split into f (loss, accuracy, top-5 and
// per-class figures) and prints the per-class table; r.TestReport keeps it
// for the run folder's confusion files.
func (r *Run) testReport(f *FinalMetrics) error {
	res, rep, err := r.Report(r.Data.TestSource(), 0)
	if err != nil {
		return err
	}
	f.TestLoss, f.TestAcc, f.TestTop5 = Metric(res.Loss), Metric(res.Accuracy), Metric(math.NaN())
	r.TestReport = rep
	if rep == nil {
		return nil
	}
	s := rep.Summary()
	f.TestTop5, f.PerClass = Metric(s.Top5), s.PerClass
	fmt.Fprintln(r.Log, "test split:")
	return s.WriteText(r.Log)
}
