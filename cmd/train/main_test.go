package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// small is a quick run on an MNIST subset.
var small = []string{"-subset", "640", "-split", "8:1:1", "-epochs", "2", "-batch", "64", "-eval-batch", "500",
	"-filters", "4,8", "-hidden", "16", "-dropout", "0.2", "-augment", "translate=2,rotate=5@0.5", "-quiet"}

func lastLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var last string
	for s := bufio.NewScanner(f); s.Scan(); {
		last = s.Text()
	}
	return last
}

// TestResumeIsExact: a run stopped after epoch 1 and resumed finishes with the
// same final metrics, to the last digit, as an uninterrupted run.
func TestResumeIsExact(t *testing.T) {
	whole, parts := t.TempDir(), t.TempDir()
	if err := dispatch(append([]string{"-out", whole}, small...)); err != nil {
		t.Fatal(err)
	}
	first := append(append([]string{"-out", parts}, small...), "-epochs", "1")
	if err := dispatch(first); err != nil {
		t.Fatal(err)
	}
	if err := dispatch([]string{"-resume", parts, "-epochs", "2", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	type final struct {
		TestLoss float64 `json:"test_loss"`
		TestAcc  float64 `json:"test_acc"`
	}
	var a, b final
	json.Unmarshal([]byte(lastLine(t, filepath.Join(whole, "metrics.jsonl"))), &a)
	json.Unmarshal([]byte(lastLine(t, filepath.Join(parts, "metrics.jsonl"))), &b)
	if a.TestLoss == 0 || a != b {
		t.Fatalf("uninterrupted %+v, resumed %+v", a, b)
	}
	for _, f := range []string{"config.json", "checkpoint.gob", "loss.png", "error.png", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(parts, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestBadInput: every bad input gets an error naming its cause.
func TestBadInput(t *testing.T) {
	badIDX := t.TempDir()
	for _, f := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		os.WriteFile(filepath.Join(badIDX, f), []byte("not an idx file at all"), 0o644)
	}
	diverge := t.TempDir()
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-nonsense"}, "nonsense"},
		{[]string{"-optimizer", "adamax"}, "adamax"},
		{[]string{"-lr", "-1"}, "lr"},
		{[]string{"-optimizer", "sgd", "-lr", "0.1", "-momentum", "1.5"}, "momentum"},
		{[]string{"-batch", "zero"}, "-batch"},
		{[]string{"-split", "6:2:x"}, "-split"},
		{[]string{"-model", "vgg"}, "vgg"},
		{[]string{"-dropout", "1"}, "-dropout"},
		{[]string{"-augment", "twirl"}, "twirl"},
		{[]string{"-schedule", "sawtooth"}, "sawtooth"},
		{[]string{"-device", "tpu"}, "tpu"},
		{[]string{"-data-dir", filepath.Join(t.TempDir(), "missing")}, "missing"},
		{[]string{"-data-dir", badIDX}, "train-images-idx3-ubyte"},
		{[]string{"-resume", t.TempDir()}, "checkpoint"},
		{append(append([]string{"-out", diverge}, small...), "-optimizer", "sgd", "-lr", "1e9"), "diverged"},
	}
	for _, c := range cases {
		err := dispatch(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}
