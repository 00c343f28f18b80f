package recipe

import (
	"encoding/json"
	"math"

	"github.com/descent-ml/descent/evaluation"
)

// Metric is a number in metrics.jsonl; NaN (a split that is empty) is null.
type Metric float64

func (m Metric) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(m))
}

func (m *Metric) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*m = Metric(math.NaN())
		return nil
	}
	return json.Unmarshal(b, (*float64)(m))
}

// EpochMetrics is one line of metrics.jsonl.
type EpochMetrics struct {
	Epoch        int     `json:"epoch"`
	LR           float64 `json:"lr"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	Penalty      float64 `json:"penalty,omitempty"`
	ValLoss      Metric  `json:"val_loss"`
	ValAcc       Metric  `json:"val_acc"`
	ImagesPerSec float64 `json:"images_per_sec"`
	Seconds      float64 `json:"seconds"`
	// SkippedImages are the bad images -bad-images skip left out of the
	// epoch's training batches.
	SkippedImages int `json:"skipped_images,omitempty"`
}

// FinalMetrics is the last line of metrics.jsonl. The generalization gap
// compares like with like: train and test error both in evaluation mode.
type FinalMetrics struct {
	TestLoss          Metric `json:"test_loss"`
	TestAcc           Metric `json:"test_acc"`
	TestTop5          Metric `json:"test_top5"`
	TrainEvalLoss     Metric `json:"train_eval_loss"`
	TrainEvalAcc      Metric `json:"train_eval_acc"`
	GeneralizationGap Metric `json:"generalization_gap"`
	Epochs            int    `json:"epochs"`
	BestEpoch         int    `json:"best_epoch,omitempty"` // the best epoch by -monitor; with -early-stop, the one tested
	// PerClass are the test split's per-class precision, recall, F1 and support.
	PerClass []evaluation.ClassMetrics `json:"per_class,omitempty"`
	Seconds  float64                   `json:"seconds"`
}
