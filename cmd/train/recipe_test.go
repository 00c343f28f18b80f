package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recipeArgs turn on every recipe flag that changes training: label
// smoothing, class weights, mixup and cutmix, an EMA, and RandAugment.
var recipeArgs = []string{"-augment", "translate=2,randaugment=2,9", "-label-smoothing", "0.1", "-class-weights", "auto", "-mixup", "0.2", "-cutmix", "1",
	"-mix-prob", "0.8", "-ema", "0.9", "-ema-warmup"}

// TestResumeWithRecipeIsBitExact: a run of one epoch resumed to two ends with
// the same weights, EMA weights and metrics, byte for byte, as a run of two
// (with a schedule that a run of one epoch does not end).
func TestResumeWithRecipeIsBitExact(t *testing.T) {
	args := append(append([]string{}, small...), recipeArgs...)
	args = append(args, "-schedule", "step", "-gamma", "0.5")
	whole, resumed := t.TempDir(), t.TempDir()
	if err := dispatch(append([]string{"-out", whole}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := dispatch(append(append([]string{"-out", resumed}, args...), "-epochs", "1")); err != nil {
		t.Fatal(err)
	}
	if err := dispatch([]string{"-resume", resumed, "-epochs", "2", "-quiet"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"model.safetensors", "ema.safetensors", "config.json"} {
		a, errA := os.ReadFile(filepath.Join(whole, f))
		b, errB := os.ReadFile(filepath.Join(resumed, f))
		if errA != nil || errB != nil {
			t.Fatal(errA, errB)
		}
		if f == "config.json" {
			var ca, cb map[string]any
			json.Unmarshal(a, &ca)
			json.Unmarshal(b, &cb)
			if ca["class_weight_values"] == nil || ca["ema"] != 0.9 || ca["mixup"] != 0.2 {
				t.Errorf("config.json does not store the recipe: %s", a)
			}
			continue
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the uninterrupted and the resumed run", f)
		}
	}
	a, b := lastLine(t, filepath.Join(whole, "metrics.jsonl")), lastLine(t, filepath.Join(resumed, "metrics.jsonl"))
	if !strings.Contains(a, "test_acc") || a[:strings.Index(a, `"seconds"`)] != b[:strings.Index(b, `"seconds"`)] {
		t.Errorf("final metrics:\nuninterrupted %s\nresumed       %s", a, b)
	}
	metrics, err := os.ReadFile(filepath.Join(whole, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"ema_val_loss":`, `"ema_val_acc":`, `"train_acc_of":"dominant label`} {
		if !strings.Contains(string(metrics), field) {
			t.Errorf("metrics.jsonl lacks %s:\n%s", field, metrics)
		}
	}
	// A resumed run keeps its recipe.
	r := runCLI(t, "-resume", resumed, "-epochs", "3", "-mixup", "0.4")
	refused(t, r, []string{"-resume", resumed, "-mixup", "0.4"}, "-mixup 0.4 (the run has 0.2)")
}

// TestBadRecipeValuesAreRefused: each bad recipe value is one line naming its
// flag, exit status 2, and no -out folder.
func TestBadRecipeValuesAreRefused(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	nine := file("nine.txt", "1 1 1 1 1 1 1 1 1\n")
	negative := file("negative.txt", "1,1,1,1,-2,1,1,1,1,1")
	words := file("words.txt", "1 1 1 1 one 1 1 1 1 1")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-label-smoothing", "1"}, []string{"-label-smoothing", "1"}},
		{[]string{"-label-smoothing", "-0.1"}, []string{"-label-smoothing"}},
		{[]string{"-label-smoothing", "NaN"}, []string{"-label-smoothing", "NaN"}},
		{[]string{"-mixup", "0"}, []string{"-mixup", "> 0"}},
		{[]string{"-mixup", "-1"}, []string{"-mixup"}},
		{[]string{"-cutmix", "Inf"}, []string{"-cutmix"}},
		{[]string{"-mix-prob", "1.5"}, []string{"-mix-prob"}},
		{[]string{"-mix-switch-prob", "NaN"}, []string{"-mix-switch-prob"}},
		{[]string{"-ema", "1"}, []string{"-ema", "(0, 1)"}},
		{[]string{"-ema", "0"}, []string{"-ema"}},
		{[]string{"-ema-warmup"}, []string{"-ema-warmup", "-ema"}},
		{[]string{"-class-weights", nine}, []string{"-class-weights", "9 weights", "10 classes"}},
		{[]string{"-class-weights", negative}, []string{"-class-weights", "weight 5", "-2"}},
		{[]string{"-class-weights", words}, []string{"-class-weights", "one"}},
		{[]string{"-class-weights", filepath.Join(dir, "missing.txt")}, []string{"-class-weights", "missing.txt"}},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "run")
		args := append(c.args[:len(c.args):len(c.args)], "-out", out)
		refused(t, runCLI(t, args...), args, c.want...)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("train %s: the -out folder was made", strings.Join(args, " "))
		}
	}
}

// TestOneCycleStepsEveryIteration: -schedule onecycle lasts the run's
// optimizer steps and is stepped after each, so the rate at the start of
// epoch 2 (after 10 of 20 steps: 640 images in batches of 64) is PyTorch's
// OneCycleLR(max_lr=0.01, total_steps=20) after 10 steps (torch 1.13).
func TestOneCycleStepsEveryIteration(t *testing.T) {
	dir := t.TempDir()
	args := append(append([]string{"-out", dir}, small...), "-schedule", "onecycle", "-lr", "0.01")
	if err := dispatch(args); err != nil {
		t.Fatal(err)
	}
	metrics, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var lrs []float64
	for _, line := range strings.Split(strings.TrimSpace(string(metrics)), "\n") {
		var m struct {
			LR *float64 `json:"lr"`
		}
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m.LR != nil {
			lrs = append(lrs, *m.LR)
		}
	}
	want := []float64{0.0003999999999999993, 0.007169430017913008}
	if len(lrs) != 2 || math.Abs(lrs[0]-want[0]) > 1e-12 || math.Abs(lrs[1]-want[1]) > 1e-12 {
		t.Errorf("learning rates at the epochs' starts %v, want PyTorch's %v", lrs, want)
	}
}

// TestBadScheduleValuesAreRefused: each bad schedule option is one line
// naming its flag, exit status 2, and no -out folder.
func TestBadScheduleValuesAreRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-schedule", "onecycle", "-pct-start", "1.5"}, []string{"-pct-start", "1.5"}},
		{[]string{"-schedule", "onecycle", "-anneal", "exp"}, []string{"-anneal", "exp"}},
		{[]string{"-schedule", "onecycle", "-max-lr", "NaN"}, []string{"-max-lr"}},
		{[]string{"-schedule", "onecycle", "-div-factor", "0"}, []string{"-div-factor"}},
		{[]string{"-schedule", "onecycle", "-base-momentum", "0.99"}, []string{"-max-momentum"}},
		{[]string{"-schedule", "linear", "-start-factor", "0"}, []string{"-start-factor"}},
		{[]string{"-schedule", "linear", "-total-iters", "0"}, []string{"-total-iters"}},
		{[]string{"-schedule", "cosine-restarts"}, []string{"-t0"}},
		{[]string{"-schedule", "cosine-restarts", "-t0", "2", "-t-mult", "0"}, []string{"-t-mult"}},
		{[]string{"-schedule", "cyclic"}, []string{"-schedule", "cyclic"}},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args := append(c.args[:len(c.args):len(c.args)], "-out", out)
		refused(t, runCLI(t, args...), args, c.want...)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("train %s: the -out folder was made", strings.Join(args, " "))
		}
	}
}

// TestCheckpointWithoutRecipeFieldsResumes: a checkpoint whose configuration
// predates the recipe's flags resumes with their defaults.
func TestCheckpointWithoutRecipeFieldsResumes(t *testing.T) {
	dir := tinyRun(t, "-schedule", "step")
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := ck.stored()
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(stored.Config, &fields); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"mix_prob", "mix_switch_prob", "accumulate", "pct_start", "anneal", "div_factor",
		"final_div_factor", "cycle_momentum", "base_momentum", "max_momentum", "start_factor", "end_factor", "total_iters", "t_mult"} {
		if _, ok := fields[name]; !ok {
			t.Fatalf("config has no field %s", name)
		}
		delete(fields, name)
	}
	if stored.Config, err = json.Marshal(fields); err != nil {
		t.Fatal(err)
	}
	old, err := stored.checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Config.Validate(); err != nil {
		t.Errorf("an older checkpoint's configuration: %v", err)
	}
	if old.Config.Accumulate != 1 || old.Config.Anneal != "cos" {
		t.Errorf("defaults of an older configuration: -accumulate %d, -anneal %q", old.Config.Accumulate, old.Config.Anneal)
	}
}

// TestAccumulateCountsOptimizerSteps: with -accumulate 3, the 10 batches
// of an epoch make 4 optimizer steps (3+3+3+1), and the run is refused
// -accumulate 0.
func TestAccumulateCountsOptimizerSteps(t *testing.T) {
	dir := t.TempDir()
	if err := dispatch(append(append([]string{"-out", dir}, small...), "-accumulate", "3", "-epochs", "1")); err != nil {
		t.Fatal(err)
	}
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ck.Optimizer.Groups[0].Params {
		if p.Step != 4 {
			t.Fatalf("%s: %d optimizer steps after 10 batches with -accumulate 3, want 4", p.Name, p.Step)
		}
	}
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-accumulate", "0", "-out", out}
	refused(t, runCLI(t, args...), args, "-accumulate", "0")
}
