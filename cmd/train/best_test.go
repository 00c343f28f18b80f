package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/layers/weights"
)

// overfitArgs: an MLP with a large learning rate on 48 MNIST images, whose
// validation loss turns up after a few epochs.
func overfitArgs(dir string, epochs string, extra ...string) []string {
	return append([]string{"-out", dir, "-model", "mlp", "-depth", "1", "-width", "32", "-norm", "none", "-dropout", "0",
		"-subset", "96", "-split", "1:1", "-optimizer", "adam", "-lr", "0.02", "-schedule", "none", "-batch", "16",
		"-epochs", epochs, "-early-stop", "2", "-quiet"}, extra...)
}

func finalMetrics(t *testing.T, dir string) (recipe.FinalMetrics, []recipe.EpochMetrics) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var f recipe.FinalMetrics
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &f); err != nil {
		t.Fatal(err)
	}
	history := make([]recipe.EpochMetrics, len(lines)-1)
	for i, l := range lines[:len(lines)-1] {
		if err := json.Unmarshal([]byte(l), &history[i]); err != nil {
			t.Fatal(err)
		}
	}
	return f, history
}

// TestEarlyStopTestsTheBestEpoch: the over-fitting run stops 2 epochs after
// its lowest validation loss, records that epoch as best_epoch, and its test
// figures are those of best.safetensors evaluated on its own; the best
// checkpoint is that epoch's.
func TestEarlyStopTestsTheBestEpoch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := dispatch(overfitArgs(dir, "30")); err != nil {
		t.Fatal(err)
	}
	f, history := finalMetrics(t, dir)
	best := 1
	for i, m := range history {
		if m.ValLoss < history[best-1].ValLoss {
			best = i + 1
		}
	}
	if f.Epochs >= 30 || f.Epochs != best+2 || f.BestEpoch != best || len(history) != f.Epochs {
		t.Fatalf("stopped after epoch %d with best_epoch %d; validation losses %v", f.Epochs, f.BestEpoch, history)
	}
	bestCk, err := readCheckpointFile(t, filepath.Join(dir, bestCheckpointFile))
	if err != nil || bestCk.Epoch != best || bestCk.Best == nil || bestCk.Best.Epoch != best {
		t.Fatalf("best checkpoint: %v, %+v", err, bestCk)
	}
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := recipe.Setup(ck.Config, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := weights.LoadFile(r.Trainer.Model(), filepath.Join(dir, "best.safetensors"), weights.Options{}); err != nil {
		t.Fatal(err)
	}
	loss, acc, err := r.Evaluate(r.Data.Test)
	if err != nil {
		t.Fatal(err)
	}
	if loss != f.TestLoss || acc != f.TestAcc {
		t.Errorf("best.safetensors: test loss %v accuracy %v; the run's final record: %v %v", loss, acc, f.TestLoss, f.TestAcc)
	}
}

func readCheckpointFile(t *testing.T, path string) (*checkpoint, error) {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return readCheckpoint(fh, path)
}

// TestEarlyStopResumesBitExactly: a run cut after the epoch before its
// early stop and resumed with the full -epochs ends with the same metrics
// and the same best.safetensors, byte for byte, as the uninterrupted run; a
// run that had stopped early already stays stopped when resumed.
func TestEarlyStopResumesBitExactly(t *testing.T) {
	whole, cut := filepath.Join(t.TempDir(), "whole"), filepath.Join(t.TempDir(), "cut")
	if err := dispatch(overfitArgs(whole, "30")); err != nil {
		t.Fatal(err)
	}
	fw, _ := finalMetrics(t, whole)
	if fw.Epochs < 3 || fw.Epochs >= 30 {
		t.Fatalf("the uninterrupted run stopped after epoch %d; the test needs an early stop after epoch 3 or later", fw.Epochs)
	}
	if err := dispatch(overfitArgs(cut, strconv.Itoa(fw.Epochs-1))); err != nil {
		t.Fatal(err)
	}
	if err := dispatch([]string{"-resume", cut, "-epochs", "30", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	fc, _ := finalMetrics(t, cut)
	fw.Seconds, fc.Seconds = 0, 0
	if !reflect.DeepEqual(fw, fc) {
		t.Errorf("uninterrupted %+v\nresumed       %+v", fw, fc)
	}
	a, _ := os.ReadFile(filepath.Join(whole, "best.safetensors"))
	b, _ := os.ReadFile(filepath.Join(cut, "best.safetensors"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("best.safetensors differ (%d and %d bytes)", len(a), len(b))
	}
	if err := dispatch([]string{"-resume", whole, "-epochs", "30", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	if again, _ := finalMetrics(t, whole); again.Epochs != fw.Epochs {
		t.Errorf("resuming a run that stopped early trained on to epoch %d", again.Epochs)
	}
}

// TestBestFlagsAreChecked: bad values of the best-epoch flags, early
// stopping without a validation split, and -use best of a run without a best
// epoch are refused, naming the flag.
func TestBestFlagsAreChecked(t *testing.T) {
	noVal := tinyRun(t) // -split 1:0
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-monitor", "train_loss"}, "flag -monitor"},
		{[]string{"-early-stop", "-1"}, "flag -early-stop"},
		{[]string{"-min-delta", "-0.5"}, "flag -min-delta"},
		{[]string{"-min-delta", "NaN"}, "flag -min-delta"},
		{append(append([]string{}, tinyRunArgs...), "-early-stop", "2"), "flag -early-stop 2: the run has no validation split"},
		{[]string{"eval", "-run", noVal, "-use", "best"}, "flag -use best"},
		{[]string{"eval", "-run", noVal, "-use", "worst"}, "flag -use"},
		{[]string{"-resume", noVal, "-early-stop", "3"}, "-early-stop 3 (the run has 0)"},
	}
	for _, c := range cases {
		err := dispatch(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
	if err := dispatch([]string{"eval", "-run", noVal, "-use", "last"}); err != nil {
		t.Errorf("eval -use last: %v", err)
	}
}
