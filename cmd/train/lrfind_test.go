package main

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
)

// TestLRFindLeavesTheModelUntouched: the range test raises the rate
// geometrically step by step, stops when the loss explodes, suggests a rate
// inside the range, and restores weights, optimizer state and step count bit
// for bit.
func TestLRFindLeavesTheModelUntouched(t *testing.T) {
	cfg := recipe.DefaultConfig()
	cfg.Subset, cfg.Schedule, cfg.Filters, cfg.Hidden = 640, "none", "4,8", 16
	r, err := recipe.Setup(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r.Data.Val = &data.Dataset{Classes: r.Data.Classes}
	before, err := r.Trainer.State()
	if err != nil {
		t.Fatal(err)
	}
	rt := recipe.DefaultLRRange()
	rt.End, rt.Steps = 1e4, 60
	f, err := r.FindLR(rt)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Diverged || len(f.Points) >= rt.Steps || len(f.Points) < 20 {
		t.Errorf("%d steps, diverged %v: Adam up to rate 1e4 should explode before step %d", len(f.Points), f.Diverged, rt.Steps)
	}
	ratio := math.Pow(rt.End/rt.Start, 1/float64(rt.Steps-1))
	for i, p := range f.Points {
		if want := rt.Start * math.Pow(ratio, float64(i)); math.Abs(p.LR-want) > 1e-9*want {
			t.Fatalf("step %d: rate %v, want %v", i, p.LR, want)
		}
	}
	if !(f.Suggested > rt.Start && f.Suggested < f.Points[len(f.Points)-1].LR) {
		t.Errorf("suggested rate %v outside the range run", f.Suggested)
	}
	after, err := r.Trainer.State()
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range before.Params {
		for i, v := range w {
			if math.Float32bits(v) != math.Float32bits(after.Params[name][i]) {
				t.Fatalf("%s[%d] was %v before the range test, %v after", name, i, v, after.Params[name][i])
			}
		}
	}
	if after.Iteration != before.Iteration || after.Epoch != before.Epoch || after.Optimizer.Groups[0].LR != before.Optimizer.Groups[0].LR {
		t.Errorf("state after the test: iteration %d epoch %d lr %v; before %d %d %v", after.Iteration, after.Epoch,
			after.Optimizer.Groups[0].LR, before.Iteration, before.Epoch, before.Optimizer.Groups[0].LR)
	}
}

// TestLRFindCommand: `train lr-find` writes its plot and prints the
// suggested rate; flags that make no sense for it are refused.
func TestLRFindCommand(t *testing.T) {
	plot := filepath.Join(t.TempDir(), "lr.png")
	r := runCLI(t, "lr-find", "-subset", "640", "-filters", "4,8", "-hidden", "16", "-steps", "40", "-end-lr", "100", "-plot", plot)
	if r.code != 0 || !containsLine(r.stdout, "suggested learning rate ") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	if st, err := os.Stat(plot); err != nil || st.Size() == 0 {
		t.Errorf("plot: %v", err)
	}
	for _, args := range [][]string{
		{"lr-find", "-schedule", "cosine"},
		{"lr-find", "-start-lr", "0"},
		{"lr-find", "-end-lr", "1e-9"},
		{"lr-find", "-steps", "1"},
		{"lr-find", "-diverge", "1"},
		{"lr-find", "-plot", "x.svg"},
	} {
		refused(t, runCLI(t, args...), args, args[1])
	}
}

// containsLine reports whether a line of s starts with prefix.
func containsLine(s, prefix string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, prefix) {
			return true
		}
	}
	return false
}
