package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the train command, so a test can
// start it as a separate process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("DESCENT_TEST_RUN_TRAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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

// TestResumeAfterKill: a run killed with SIGKILL during epoch 2 and resumed
// finishes with the same final metrics, to the last digit, as an uninterrupted
// run with the same seed.
func TestResumeAfterKill(t *testing.T) {
	args := []string{"-subset", "3000", "-split", "8:1:1", "-epochs", "3", "-eval-batch", "500",
		"-filters", "4,8", "-hidden", "16", "-augment", "translate=2,rotate=5@0.5", "-quiet"}
	whole, killed := t.TempDir(), t.TempDir()
	if err := dispatch(append([]string{"-out", whole}, args...)); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], append([]string{"-out", killed}, args...)...)
	cmd.Env = append(os.Environ(), "DESCENT_TEST_RUN_TRAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && !strings.HasPrefix(lines.Text(), "epoch 1/3") {
	}
	// The checkpoint of epoch 1 ends with model.safetensors; then epoch 2 runs.
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(killed, "model.safetensors")); err == nil {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := os.Stat(filepath.Join(killed, "metrics.jsonl")); err != nil {
		t.Fatalf("the killed run left no metrics: %v", err)
	}
	if strings.Contains(lastLine(t, filepath.Join(killed, "metrics.jsonl")), "test_acc") {
		t.Fatal("the run finished before it was killed; make it longer")
	}

	if err := dispatch([]string{"-resume", killed, "-quiet"}); err != nil {
		t.Fatal(err)
	}
	a, b := lastLine(t, filepath.Join(whole, "metrics.jsonl")), lastLine(t, filepath.Join(killed, "metrics.jsonl"))
	type final struct {
		TestLoss float64 `json:"test_loss"`
		TestAcc  float64 `json:"test_acc"`
	}
	var fa, fb final
	json.Unmarshal([]byte(a), &fa)
	json.Unmarshal([]byte(b), &fb)
	if fa.TestLoss == 0 || fa != fb {
		t.Fatalf("uninterrupted %s\nresumed       %s", a, b)
	}
	for _, f := range []string{"config.json", "checkpoint.gob", "loss.png", "error.png", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(killed, f)); err != nil {
			t.Error(err)
		}
	}
	if err := dispatch([]string{"eval", "-run", killed}); err != nil {
		t.Errorf("train eval: %v", err)
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
		{[]string{"-batch", "1"}, "-norm none"},
		{[]string{"-split", "6:2:x"}, "-split"},
		{[]string{"-model", "vgg"}, "vgg"},
		{[]string{"-dropout", "1"}, "-dropout"},
		{[]string{"-augment", "twirl"}, "twirl"},
		{[]string{"-schedule", "sawtooth"}, "sawtooth"},
		{[]string{"-device", "tpu"}, "tpu"},
		{[]string{"-tf32"}, "-tf32"},
		{[]string{"bench", "-tf32", "-quick"}, "-tf32"},
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
