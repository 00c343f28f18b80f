package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
)

// TestBenchTimeTo trains the default recipe on 640 MNIST images to a low test
// accuracy in Descent and, where torch is installed, in PyTorch: both reach it
// within the two epochs and the table reports them.
func TestBenchTimeTo(t *testing.T) {
	if _, err := data.FindGoMNIST(); err != nil {
		t.Skip(err)
	}
	cfg := recipe.DefaultConfig()
	cfg.Subset, cfg.Epochs = 640, 2
	tt := timeTo{target: 30, cfg: cfg, script: timeToScript()}
	sides := []string{"Descent"}
	if _, err := bench.Python(); err != nil {
		t.Logf("PyTorch left out: %v", err)
		tt.script = ""
	} else {
		sides = append(sides, "PyTorch")
	}
	var out bytes.Buffer
	if err := tt.run(&out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	for _, side := range sides {
		if !strings.Contains(out.String(), "| "+side+" | ") || strings.Contains(out.String(), "| false |") {
			t.Errorf("%s did not reach 30%%:\n%s", side, out.String())
		}
	}
	if len(sides) == 2 && !strings.Contains(out.String(), "Descent / PyTorch time: ") {
		t.Errorf("no ratio:\n%s", out.String())
	}
}

// TestBenchTimeToBadFlags: the flags' bad values are refused, naming the flag.
func TestBenchTimeToBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-time-to", "0"}, {"-time-to", "-5"}, {"-time-to", "100.5"}, {"-time-to", "NaN"},
		{"-time-to", "99", "-time-to-epochs", "-1"}, {"-time-to", "99", "-time-to-epochs", "5000"}} {
		err := benchCommand(args)
		if err == nil || !strings.Contains(err.Error(), "flag "+args[len(args)-2]) {
			t.Errorf("%v: %v", args, err)
		}
	}
}
