package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/data"
)

// TestBenchTimeTo trains the default recipe, and one changed by -recipe
// flags, on 640 MNIST images to a low test accuracy in Descent and, where
// torch is installed, in PyTorch under each of its configurations: all reach
// it within the two epochs and the table reports them and the ratio (two
// PyTorch configurations, glibc's malloc as it comes and the last allocator
// of timeToTorchConfigs; the changed recipe in one, glibc keeping freed
// memory, to keep the test short).
func TestBenchTimeTo(t *testing.T) {
	if _, err := data.FindGoMNIST(); err != nil {
		t.Skip(err)
	}
	for i, flags := range []string{"", "-filters 8,16 -hidden 32 -schedule onecycle -max-lr 0.01 -lr 0.002 -batch 32"} {
		cfg, err := timeToRecipe(flags)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Subset, cfg.Epochs = 640, 2
		all := timeToTorchConfigs()
		torch := []bench.TorchConfig{all[0], all[len(all)-1]}
		if i > 0 {
			torch = []bench.TorchConfig{all[2]}
		}
		tt := timeTo{target: 30, cfg: cfg, flags: flags, script: timeToScript(), torch: torch}
		sides := []string{"Descent"}
		if _, err := bench.Python(); err != nil {
			t.Logf("PyTorch left out: %v", err)
			tt.script = ""
		} else {
			for _, tc := range tt.torch {
				sides = append(sides, "PyTorch ("+tc.String()+")")
			}
		}
		var out bytes.Buffer
		if err := tt.run(&out); err != nil {
			t.Fatalf("%q: %v", flags, err)
		}
		t.Log(out.String())
		for _, side := range sides {
			if !strings.Contains(out.String(), "| "+side+" | ") || strings.Contains(out.String(), "| false |") {
				t.Errorf("%q: %s did not reach 30%%:\n%s", flags, side, out.String())
			}
		}
		if len(sides) > 1 && !strings.Contains(out.String(), "Descent / PyTorch's fastest (PyTorch (") {
			t.Errorf("%q: no ratio:\n%s", flags, out.String())
		}
	}
}

// TestTimeToScriptRecipes: the recipes the PyTorch script trains are told
// apart from those it would train differently, which leave PyTorch out with
// the reason instead of a comparison of different recipes.
func TestTimeToScriptRecipes(t *testing.T) {
	for flags, ok := range map[string]bool{
		"": true, "-filters 16,32 -hidden 64 -dropout 0 -norm none": true, "-schedule onecycle -max-lr 0.02 -pct-start 0.2 -epochs 2": true,
		"-lr 0.003 -batch 128 -seed 7 -subset 1000": true, "-schedule none": true,
		"-optimizer sgd": false, "-model mlp": false, "-schedule step": false, "-augment hflip": false, "-label-smoothing 0.1": false,
		"-weight-decay 0.01": false, "-init xavier_uniform": false, "-schedule-per-iteration": false, "-warmup 2": false, "-l2 0.001": false,
	} {
		cfg, err := timeToRecipe(flags)
		if err != nil {
			t.Fatalf("%q: %v", flags, err)
		}
		if err := scriptRecipe(cfg); (err == nil) != ok {
			t.Errorf("%q: scriptRecipe = %v, want runnable %v", flags, err, ok)
		}
	}
}

// TestBenchTimeToBadFlags: the flags' bad values are refused, naming the flag.
func TestBenchTimeToBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-time-to", "0"}, {"-time-to", "-5"}, {"-time-to", "100.5"}, {"-time-to", "NaN"},
		{"-time-to", "99", "-time-to-epochs", "-1"}, {"-time-to", "99", "-time-to-epochs", "5000"},
		{"-time-to", "99", "-recipe", "-filters 0,16"}, {"-time-to", "99", "-recipe", "-no-such-flag"}, {"-time-to", "99", "-recipe", "-epochs 0"}} {
		err := benchCommand(args)
		if err == nil || !strings.Contains(err.Error(), "flag "+args[len(args)-2]) {
			t.Errorf("%v: %v", args, err)
		}
	}
}

// TestTimeToTurns runs the epoch protocol against a stand-in for the PyTorch
// script whose accuracy grows by 20 points an epoch: it needs two epochs for
// 30 % where Descent needs one, so it goes on alone after Descent stops, and
// with the target out of reach it stops at the recipe's last epoch.
func TestTimeToTurns(t *testing.T) {
	if _, err := data.FindGoMNIST(); err != nil {
		t.Skip(err)
	}
	if _, err := bench.Python(); err != nil {
		t.Skip(err)
	}
	script := filepath.Join(t.TempDir(), "stand_in.py")
	const stand = `import json, os, sys
spec = json.load(open(os.path.join(sys.argv[1], "spec.json")))
print(json.dumps({"ready": True, "allocator": "glibc"}), flush=True)
for epoch in range(1, spec["Epochs"] + 1):
    if not sys.stdin.readline():
        break
    acc = 0.2 * epoch
    print(json.dumps({"epoch": epoch, "seconds": epoch, "accuracy": acc}), flush=True)
    if 100 * acc >= spec["Target"]:
        break
`
	if err := os.WriteFile(script, []byte(stand), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := timeToRecipe("")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Subset, cfg.Epochs = 640, 3
	for target, want := range map[float64]string{
		30: "| PyTorch (intra-op 2, OpenBLAS default) | 2 | 2.00 | 40.00% | true |",
		70: "| PyTorch (intra-op 2, OpenBLAS default) | 3 | 3.00 | 60.00% | false |",
	} {
		tt := timeTo{target: target, cfg: cfg, script: script, torch: []bench.TorchConfig{{Threads: 2}}}
		var out bytes.Buffer
		if err := tt.run(&out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("target %v%%: want %q in\n%s", target, want, out.String())
		}
	}
}
