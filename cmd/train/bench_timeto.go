package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/trainer"
)

// timeTo is `train bench -time-to ACC`: the default recipe trained until the
// test accuracy reaches target percent, evaluated after every epoch, by
// Descent's trainer and by PyTorch (bench/pytorch/time_to.py) on the same
// splits with the same network, initialization, optimizer, schedule, batch and
// epochs. Only the training counts: evaluations are left out of the times.
type timeTo struct {
	target float64 // percent of the test split classified correctly
	cfg    recipe.Config
	script string // the PyTorch script, "" to leave PyTorch out
}

// maxTimeToEpochs bounds -time-to-epochs.
const maxTimeToEpochs = 1000

// timeToEpoch is one epoch of a side: the training seconds so far and the
// test accuracy (a fraction) after it.
type timeToEpoch struct {
	Epoch    int     `json:"epoch"`
	Seconds  float64 `json:"seconds"`
	Accuracy float64 `json:"accuracy"`
}

// timeToResult is one side's run; Reached tells whether its last epoch got to
// the target.
type timeToResult struct {
	Side    string
	Epochs  []timeToEpoch
	Reached bool
}

func (tt timeTo) check() error {
	if math.IsNaN(tt.target) || tt.target <= 0 || tt.target > 100 {
		return fmt.Errorf("flag -time-to: %v is not a test accuracy in percent, in (0, 100]", tt.target)
	}
	if tt.cfg.Dataset != "mnist" {
		return fmt.Errorf("flag -time-to: the recipe's dataset is %q, the benchmark trains on mnist", tt.cfg.Dataset)
	}
	return nil
}

// run trains both sides, Descent first, and prints a markdown table.
func (tt timeTo) run(w io.Writer) error {
	if err := tt.check(); err != nil {
		return err
	}
	r, err := recipe.Setup(tt.cfg, io.Discard)
	if err != nil {
		return err
	}
	defer r.Trainer.Close()
	results := []timeToResult{{Side: "Descent"}}
	descent := &results[0]
	var trained float64
	r.Trainer.OnEpoch(func(e trainer.EpochInfo) error {
		trained += e.Seconds // the training of the epoch alone, without its validation
		_, acc, err := r.Evaluate(r.Data.TestSource())
		if err != nil {
			return err
		}
		descent.Epochs = append(descent.Epochs, timeToEpoch{Epoch: e.Epoch, Seconds: trained, Accuracy: float64(acc)})
		if descent.Reached = 100*float64(acc) >= tt.target; descent.Reached {
			return trainer.Stop
		}
		return nil
	})
	if err := r.Trainer.Fit(context.Background(), tt.cfg.Epochs); err != nil {
		return err
	}
	if tt.script != "" {
		torch, err := tt.pytorch(r)
		if err != nil {
			return fmt.Errorf("pytorch: %w", err)
		}
		results = append(results, torch)
	}
	return tt.write(w, results)
}

// timeToSpec is what the PyTorch script reads beside the splits' files.
type timeToSpec struct {
	Train, Test      int     // samples
	C, H, W          int     // image shape
	Mean, Std        float64 // input standardization, of pixel/255
	Batch, Epochs    int
	DropLast         bool // the training loader leaves out a last batch of one sample
	LR, Dropout      float64
	Target           float64 // percent
	Seed             uint64
	Optimizer, Model string
	Schedule, Init   string
}

// pytorch writes the run's training and test splits (pixels and labels) and
// the recipe into a temporary folder and runs the PyTorch script on them.
func (tt timeTo) pytorch(r *recipe.Run) (timeToResult, error) {
	res := timeToResult{Side: "PyTorch"}
	cfg := r.Cfg
	if cfg.Model != "lenet" || cfg.Filters != "32,64" || cfg.Hidden != 128 || cfg.Optimizer != "adam" || cfg.Schedule != "cosine" || cfg.Norm != "batch" ||
		cfg.InputNorm != "standardize" || cfg.Init != "default" || len(cfg.Options) > 0 {
		return res, errors.New("the script runs the default recipe only: lenet with batch norm, standardized input, default initialization, Adam's defaults, cosine")
	}
	dir, err := os.MkdirTemp("", "descent-time-to-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	train, test := r.Data.Train, r.Data.Test
	spec := timeToSpec{Train: train.Len(), Test: test.Len(), C: train.Images[0].C, H: train.Images[0].H, W: train.Images[0].W,
		Mean: r.Data.InputStats.Mean[0], Std: r.Data.InputStats.Std[0], Batch: r.Batch, Epochs: cfg.Epochs,
		DropLast: cfg.Norm == "batch" && train.Len()%r.Batch == 1, LR: 1e-3, Dropout: cfg.Dropout, Target: tt.target,
		Seed: cfg.Seed, Optimizer: cfg.Optimizer, Model: cfg.Model, Schedule: cfg.Schedule, Init: cfg.Init}
	raw, err := json.Marshal(spec)
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.json"), raw, 0o644); err != nil {
		return res, err
	}
	for name, d := range map[string]*data.Dataset{"train": train, "test": test} {
		if err := writeSplit(filepath.Join(dir, name), d); err != nil {
			return res, err
		}
	}
	python, err := bench.Python()
	if err != nil {
		return res, err
	}
	cmd := exec.Command(python, tt.script, dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return res, fmt.Errorf("%s: %w", tt.script, err)
	}
	// One JSON line per epoch.
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var e timeToEpoch
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return res, fmt.Errorf("%s printed %q: %w", tt.script, sc.Text(), err)
		}
		res.Epochs = append(res.Epochs, e)
		res.Reached = 100*e.Accuracy >= tt.target
	}
	if len(res.Epochs) == 0 {
		return res, fmt.Errorf("%s printed no epoch", tt.script)
	}
	return res, nil
}

// writeSplit writes d's pixels (uint8, N×C×H×W) to base+".images" and its
// labels (uint8) to base+".labels".
func writeSplit(base string, d *data.Dataset) error {
	pix := make([]byte, 0, d.Len()*len(d.Images[0].Pix))
	labels := make([]byte, d.Len())
	for i, im := range d.Images {
		pix = append(pix, im.Pix...)
		labels[i] = byte(d.Labels[i])
	}
	if err := os.WriteFile(base+".images", pix, 0o644); err != nil {
		return err
	}
	return os.WriteFile(base+".labels", labels, 0o644)
}

// write prints each side's epochs to the target and the ratio of the times.
func (tt timeTo) write(w io.Writer, results []timeToResult) error {
	fmt.Fprintf(w, "Training time to %.2f%% MNIST test accuracy, recipe: %s %s %s batch %s, %d epochs at most (evaluation not counted)\n\n",
		tt.target, tt.cfg.Model, tt.cfg.Optimizer, tt.cfg.Schedule, tt.cfg.Batch, tt.cfg.Epochs)
	fmt.Fprintln(w, "| side | epochs | training seconds | test accuracy | reached |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
	for _, r := range results {
		last := r.Epochs[len(r.Epochs)-1]
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f%% | %v |\n", r.Side, last.Epoch, last.Seconds, 100*last.Accuracy, r.Reached)
	}
	if len(results) == 2 && results[0].Reached && results[1].Reached {
		d, p := results[0].Epochs[len(results[0].Epochs)-1], results[1].Epochs[len(results[1].Epochs)-1]
		fmt.Fprintf(w, "\nDescent / PyTorch time: %.2f×\n", d.Seconds/p.Seconds)
	}
	return nil
}

// timeToScript is the path of bench/pytorch/time_to.py beside the comparison script.
func timeToScript() string {
	return filepath.Join(filepath.Dir(bench.PyTorchScript()), "time_to.py")
}
