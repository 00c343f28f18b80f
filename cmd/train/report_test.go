package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-ml/descent/evaluation"
)

// captureStdout runs f with os.Stdout going into a pipe and returns what it
// printed.
func captureStdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	rd, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	out := make(chan string)
	go func() { b, _ := io.ReadAll(rd); out <- string(b) }()
	err = f()
	os.Stdout = saved
	w.Close()
	return <-out, err
}

// TestReportOfTrainAndEval: the end of train writes confusion.csv and
// confusion.png and a final record with test_top5 and per_class; eval -json
// prints one object with the same figures, whose confusion matrix is the CSV's,
// its rows summing to each class's support; -misclassified draws its grid.
func TestReportOfTrainAndEval(t *testing.T) {
	dir := tinyRun(t, "-split", "8:1:1", "-epochs", "2")
	var final struct {
		TestAcc  float64                   `json:"test_acc"`
		TestTop5 float64                   `json:"test_top5"`
		PerClass []evaluation.ClassMetrics `json:"per_class"`
	}
	if err := json.Unmarshal([]byte(lastLine(t, filepath.Join(dir, "metrics.jsonl"))), &final); err != nil {
		t.Fatal(err)
	}
	if len(final.PerClass) != 10 || !(final.TestTop5 >= final.TestAcc) || final.TestTop5 > 1 {
		t.Fatalf("final record: %+v", final)
	}
	for _, f := range []string{"confusion.csv", "confusion.png", "classes.txt"} {
		if info, err := os.Stat(filepath.Join(dir, f)); err != nil || info.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	out, err := captureStdout(t, func() error {
		return dispatch([]string{"eval", "-run", dir, "-json", "-misclassified", "8", "-use", "last"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var got evalReport
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("eval -json printed %q: %v", out, err)
	}
	if dec.More() {
		t.Errorf("eval -json printed more than one object: %q", out)
	}
	if got.Top1 != final.TestAcc || got.Top5 != final.TestTop5 || got.Weights != "last" || got.Epoch != 2 {
		t.Errorf("eval -json: top-1 %v top-5 %v (%s weights of epoch %d); the run's final record: %v %v",
			got.Top1, got.Top5, got.Weights, got.Epoch, final.TestAcc, final.TestTop5)
	}
	f, err := os.Open(filepath.Join(dir, "confusion.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 11 {
		t.Fatalf("confusion.csv: %d rows, %v", len(rows), err)
	}
	total := 0
	for c, row := range rows[1:] {
		sum := 0
		for p, cell := range row[1:] {
			n, err := strconv.Atoi(cell)
			if err != nil || n != got.Confusion[c][p] {
				t.Fatalf("confusion.csv row %d column %d: %q, the JSON has %d", c, p, cell, got.Confusion[c][p])
			}
			sum += n
		}
		if sum != got.PerClass[c].Support || row[0] != got.Classes[c] {
			t.Errorf("class %s: row sum %d, support %d", row[0], sum, got.PerClass[c].Support)
		}
		total += sum
	}
	if total != got.N {
		t.Errorf("the confusion matrix counts %d images, the report %d", total, got.N)
	}
	if info, err := os.Stat(filepath.Join(dir, "misclassified.png")); err != nil || info.Size() == 0 {
		t.Errorf("misclassified.png: %v", err)
	}
}

// TestEvalRefusesOtherClasses: eval on a -data-dir whose class folders are
// not the run's (stored in classes.txt) is refused, naming both lists.
func TestEvalRefusesOtherClasses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"-out", dir, "-dataset", "folder", "-data-dir", imageFolder(t, 4, "cat", "dog"), "-image-size", "16",
		"-model", "mlp", "-depth", "1", "-width", "4", "-epochs", "1", "-split", "1:0:1", "-quiet"}
	if err := dispatch(args); err != nil {
		t.Fatal(err)
	}
	err := dispatch([]string{"eval", "-run", dir, "-data-dir", imageFolder(t, 4, "cat", "emu")})
	if err == nil || !strings.Contains(err.Error(), "cat, emu") || !strings.Contains(err.Error(), "cat, dog") || !strings.Contains(err.Error(), classesFile) {
		t.Errorf("eval on other classes: %v", err)
	}
}
