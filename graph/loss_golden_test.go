package graph

import (
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/internal/golden"
)

// lossCase is a golden "loss" case (testdata/golden/FORMAT.md).
type lossCase struct {
	Op      string `json:"op"`
	Options struct {
		LabelSmoothing float64   `json:"label_smoothing"`
		Weight         []float64 `json:"weight"`
	} `json:"options"`
	Logits golden.Tensor `json:"logits"`
	Target struct {
		Labels        []float64      `json:"labels"`
		Probabilities *golden.Tensor `json:"probabilities"`
	} `json:"target"`
	Loss       float64       `json:"loss"`
	GradLogits golden.Tensor `json:"grad_logits"`
	Rtol       float64       `json:"rtol"`
	Atol       float64       `json:"atol"`
}

// TestGoldenLosses runs every PyTorch loss case through the CrossEntropy op in
// float64 and float32: the loss and dL/dlogits.
func TestGoldenLosses(t *testing.T) { runGoldenCases(t, "losses", runLossCase) }

func runLossCase(t *testing.T, c *lossCase, dt tensor.Dtype) {
	if c.Op != "cross_entropy" {
		t.Fatalf("unknown loss op %q", c.Op)
	}
	h := newHarness(t, dt)
	logits := h.arg("logits", Weight, c.Logits.Data, c.Logits.Shape...)
	var targets *gorgonia.Node
	if p := c.Target.Probabilities; p != nil {
		targets = h.arg("targets", State, p.Data, p.Shape...)
	} else {
		targets = h.arg("targets", State, c.Target.Labels, len(c.Target.Labels))
	}
	loss, err := CrossEntropy(logits, targets, CrossEntropyOptions{LabelSmoothing: c.Options.LabelSmoothing, ClassWeights: c.Options.Weight})
	if err != nil {
		t.Fatal(err)
	}
	h.finish(loss, []float64{1})
	rtol, atol := golden.Tolerance(c.Rtol, c.Atol, dt == tensor.Float32)
	if msg := golden.Mismatch([]float64{h.output(true).At(0)}, []float64{c.Loss}, rtol, atol); msg != "" {
		t.Errorf("loss: %s", msg)
	}
	grad := h.args["logits"].Grad
	got := make([]float64, grad.Len())
	for i := range got {
		got[i] = grad.At(i)
	}
	if msg := golden.Mismatch(got, c.GradLogits.Data, rtol, atol); msg != "" {
		t.Errorf("dL/dlogits: %s", msg)
	}
}

func TestCrossEntropyRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		opt  CrossEntropyOptions
		want string
	}{
		{CrossEntropyOptions{LabelSmoothing: 1}, "label smoothing 1 is outside [0, 1)"},
		{CrossEntropyOptions{LabelSmoothing: -0.5}, "label smoothing -0.5 is outside [0, 1)"},
		{CrossEntropyOptions{ClassWeights: []float64{1, 2}}, "2 class weights for 3 classes"},
		{CrossEntropyOptions{ClassWeights: []float64{1, -2, 1}}, "weight -2 of class 1 is not a finite non-negative number"},
	} {
		h := newHarness(t, tensor.Float32)
		logits := h.arg("logits", Weight, make([]float64, 6), 2, 3)
		labels := h.arg("labels", State, []float64{0, 1}, 2)
		if _, err := CrossEntropy(logits, labels, tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.opt, err, tc.want)
		}
	}
}
