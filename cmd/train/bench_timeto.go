package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// timeTo is `train bench -time-to ACC`: the default recipe trained until the
// test accuracy reaches target percent, evaluated after every epoch, by
// Descent's trainer and by PyTorch (bench/pytorch/time_to.py, one process per
// configuration) on the same splits with the same network, initialization,
// optimizer, schedule, batch and epochs. The sides take turns epoch by epoch
// (Descent's first epoch, then each configuration's first, …), so that all
// see the same machine state. Only the training counts: evaluations are left
// out of the times.
type timeTo struct {
	target float64 // percent of the test split classified correctly
	cfg    recipe.Config
	flags  string // the -recipe flags that changed the default recipe
	// torch are the PyTorch configurations the script runs in, each in turn.
	torch  []bench.TorchConfig
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

// timeToRecipe is the default recipe changed by the training flags in flags.
func timeToRecipe(flags string) (recipe.Config, error) {
	cfg := recipe.DefaultConfig()
	fs := flag.NewFlagSet("bench -recipe", flag.ContinueOnError)
	cfg.RegisterFlags(fs)
	of := recipe.RegisterOptimizerFlags(fs)
	if err := recipe.ParseFlags(fs, strings.Fields(flags)); err != nil {
		return cfg, fmt.Errorf("flag -recipe: %w", err)
	}
	of.Collect(fs, &cfg)
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("flag -recipe: %w", err)
	}
	return cfg, nil
}

// scriptRecipe reports why time_to.py cannot train cfg: it builds LeNet with
// any filters, hidden units, norm and dropout and trains it with Adam at any
// rate, cosine annealing per epoch, OneCycleLR or a constant rate, any batch,
// epochs, seed and data; everything else must be the default recipe's.
func scriptRecipe(cfg recipe.Config) error {
	followed := func(c recipe.Config) recipe.Config {
		c.Dataset, c.DataDir, c.Split, c.Subset, c.Seed, c.Workers = "", "", "", 0, 0, 0
		c.Filters, c.Hidden, c.Norm, c.Dropout, c.Batch, c.Epochs = "", 0, "", 0, "", 0
		c.Schedule, c.MaxLR, c.PctStart, c.Anneal, c.ThreePhase = "", 0, 0, "", false
		c.DivFactor, c.FinalDivFactor, c.CycleMomentum, c.BaseMomentum, c.MaxMomentum = 0, 0, false, 0, 0
		c.Options = maps.Clone(c.Options)
		delete(c.Options, "lr")
		return c
	}
	switch {
	case cfg.Model != "lenet" || cfg.Optimizer != "adam":
		return fmt.Errorf("the script trains LeNet with Adam, not %s with %s", cfg.Model, cfg.Optimizer)
	case cfg.Schedule != "cosine" && cfg.Schedule != "onecycle" && cfg.Schedule != "none":
		return fmt.Errorf("the script follows -schedule cosine, onecycle or none, not %s", cfg.Schedule)
	case !reflect.DeepEqual(followed(cfg), followed(recipe.DefaultConfig())):
		return errors.New("the script follows the default recipe but for -filters, -hidden, -norm, -dropout, -lr, -batch, -epochs, the schedule's flags, the seed and the data")
	}
	return nil
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

// run trains the sides in turns, epoch by epoch, and prints a markdown
// table. PyTorch configurations that reach the target before Descent stop
// there; those that have not when Descent reaches it go on alone.
func (tt timeTo) run(w io.Writer) error {
	if err := tt.check(); err != nil {
		return err
	}
	r, err := recipe.Setup(tt.cfg, io.Discard)
	if err != nil {
		return err
	}
	defer r.Trainer.Close()
	var note string
	var procs []*timeToProcess
	if tt.script != "" {
		if err := scriptRecipe(tt.cfg); err != nil {
			note = fmt.Sprintf("PyTorch left out: %v.", err)
		} else {
			dir, err := tt.writeRecipe(r)
			if dir != "" {
				defer os.RemoveAll(dir)
			}
			if err != nil {
				return fmt.Errorf("pytorch: %w", err)
			}
			defer func() {
				for _, p := range procs {
					p.Close()
				}
			}()
			for _, tc := range tt.torch {
				p, err := tt.startScript(dir, tc)
				if err != nil {
					return fmt.Errorf("pytorch: %w", err)
				}
				procs = append(procs, p)
			}
		}
	}
	results := make([]timeToResult, 1+len(procs))
	results[0].Side = "Descent"
	for i, p := range procs {
		results[i+1].Side = "PyTorch (" + p.Config.String() + ")"
	}
	// torchEpochs trains one epoch of every PyTorch configuration still
	// training, in turn, and reports whether any is.
	torchEpochs := func() (bool, error) {
		training := false
		for i, p := range procs {
			if p.done {
				continue
			}
			e, err := p.epoch()
			if err != nil {
				return false, fmt.Errorf("pytorch: %w", err)
			}
			res := &results[i+1]
			res.Epochs = append(res.Epochs, e)
			res.Reached = 100*e.Accuracy >= tt.target
			p.done = res.Reached || e.Epoch >= tt.cfg.Epochs // where the script stops
			training = training || !p.done
		}
		return training, nil
	}
	descent := &results[0]
	var trained float64
	r.Trainer.OnEpoch(func(e trainer.EpochInfo) error {
		trained += e.Seconds // the training of the epoch alone, without its validation
		_, acc, err := r.Evaluate(r.Data.TestSource())
		if err != nil {
			return err
		}
		descent.Epochs = append(descent.Epochs, timeToEpoch{Epoch: e.Epoch, Seconds: trained, Accuracy: float64(acc)})
		if _, err := torchEpochs(); err != nil {
			return err
		}
		if descent.Reached = 100*float64(acc) >= tt.target; descent.Reached {
			return trainer.Stop
		}
		return nil
	})
	if err := r.Trainer.Fit(context.Background(), tt.cfg.Epochs); err != nil {
		return err
	}
	for training := true; training; {
		if training, err = torchEpochs(); err != nil {
			return err
		}
	}
	return tt.write(w, results, note)
}

// timeToTorchConfigs are the PyTorch configurations the benchmark tries: one
// intra-op thread per core, with one OpenBLAS thread and with OpenBLAS's
// default, in glibc's malloc as it comes; and with OpenBLAS's default on the
// allocators that keep freed memory (bench.CPUTorchConfigs says why). One
// intra-op thread trains LeNet ≥ 1.6× slower in every cell of `train bench
// -compare`, so those are left out to keep the run short.
func timeToTorchConfigs() []bench.TorchConfig {
	cores := runtime.NumCPU()
	configs := []bench.TorchConfig{{Threads: cores, BLASThreads: 1}, {Threads: cores}, {Threads: cores, Allocator: bench.GlibcKeep}}
	if bench.TCMallocPath() != "" {
		configs = append(configs, bench.TorchConfig{Threads: cores, Allocator: bench.TCMalloc})
	}
	return configs
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
	Filters          []int
	Hidden           int
	Norm             string
	OneCycle         oneCycleSpec
}

// oneCycleSpec is -schedule onecycle's flags, OneCycleLR's arguments.
type oneCycleSpec struct {
	MaxLR, PctStart, DivFactor, FinalDivFactor float64
	Anneal                                     string
	ThreePhase, CycleMomentum                  bool
	BaseMomentum, MaxMomentum                  float64
}

// writeRecipe writes the run's training and test splits (pixels and labels)
// and the recipe into a new temporary folder for the PyTorch script, and
// returns the folder ("" if none was made).
func (tt timeTo) writeRecipe(r *recipe.Run) (string, error) {
	cfg := r.Cfg
	filters, err := recipe.IntList("filters", cfg.Filters)
	if err != nil {
		return "", err
	}
	lr := solvers.DefaultAdam().LR
	if v, ok := cfg.Options["lr"]; ok {
		lr = v
	}
	maxLR := cfg.MaxLR
	if maxLR == 0 {
		maxLR = lr
	}
	dir, err := os.MkdirTemp("", "descent-time-to-")
	if err != nil {
		return "", err
	}
	train, test := r.Data.Train, r.Data.Test
	spec := timeToSpec{Train: train.Len(), Test: test.Len(), C: train.Images[0].C, H: train.Images[0].H, W: train.Images[0].W,
		Mean: r.Data.InputStats.Mean[0], Std: r.Data.InputStats.Std[0], Batch: r.Batch, Epochs: cfg.Epochs,
		DropLast: cfg.Norm == "batch" && train.Len()%r.Batch == 1, LR: lr, Dropout: cfg.Dropout, Target: tt.target,
		Seed: cfg.Seed, Optimizer: cfg.Optimizer, Model: cfg.Model, Schedule: cfg.Schedule, Init: cfg.Init,
		Filters: filters, Hidden: cfg.Hidden, Norm: cfg.Norm,
		OneCycle: oneCycleSpec{MaxLR: maxLR, PctStart: cfg.PctStart, DivFactor: cfg.DivFactor, FinalDivFactor: cfg.FinalDivFactor,
			Anneal: cfg.Anneal, ThreePhase: cfg.ThreePhase, CycleMomentum: cfg.CycleMomentum,
			BaseMomentum: cfg.BaseMomentum, MaxMomentum: cfg.MaxMomentum}}
	raw, err := json.Marshal(spec)
	if err != nil {
		return dir, err
	}
	if err := os.WriteFile(filepath.Join(dir, "spec.json"), raw, 0o644); err != nil {
		return dir, err
	}
	for name, d := range map[string]*data.Dataset{"train": train, "test": test} {
		if err := writeSplit(filepath.Join(dir, name), d); err != nil {
			return dir, err
		}
	}
	return dir, nil
}

// timeToProcess is the PyTorch script training the recipe of a folder in one
// configuration, an epoch per line it reads.
type timeToProcess struct {
	*bench.TorchScript
	done bool // the script has stopped training
}

// startScript starts the script on folder dir in configuration tc and waits
// for its warm-up.
func (tt timeTo) startScript(dir string, tc bench.TorchConfig) (*timeToProcess, error) {
	var ready struct{}
	s, err := bench.StartTorchScript(tc, tt.script, []string{dir, "--serve", "--threads", fmt.Sprint(tc.Threads)}, &ready)
	return &timeToProcess{TorchScript: s}, err
}

// epoch has the script train its next epoch and returns it.
func (p *timeToProcess) epoch() (timeToEpoch, error) {
	var e timeToEpoch
	err := p.Ask("epoch", &e)
	return e, err
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

// write prints each side's epochs to the target, the ratio of Descent's time
// to that of PyTorch's fastest configuration, and note.
func (tt timeTo) write(w io.Writer, results []timeToResult, note string) error {
	changes := "the default"
	if tt.flags != "" {
		changes = "the default with " + tt.flags
	}
	c := tt.cfg
	fmt.Fprintf(w, "Training time to %.2f%% MNIST test accuracy, recipe %s (%s %s, %s norm, %s, %s schedule, batch %s, %d epochs at most); evaluation not counted\n\n",
		tt.target, changes, c.Model, c.Filters, c.Norm, c.Optimizer, c.Schedule, c.Batch, c.Epochs)
	fmt.Fprintln(w, "| side | epochs | training seconds | test accuracy | reached |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | --- |")
	var fastest *timeToResult
	for i, r := range results {
		last := r.Epochs[len(r.Epochs)-1]
		fmt.Fprintf(w, "| %s | %d | %.2f | %.2f%% | %v |\n", r.Side, last.Epoch, last.Seconds, 100*last.Accuracy, r.Reached)
		if i > 0 && r.Reached && (fastest == nil || last.Seconds < fastest.seconds()) {
			fastest = &results[i]
		}
	}
	if results[0].Reached && fastest != nil {
		fmt.Fprintf(w, "\nDescent / PyTorch's fastest (%s): %.2f×\n", fastest.Side, results[0].seconds()/fastest.seconds())
	}
	if note != "" {
		fmt.Fprintf(w, "\n%s\n", note)
	}
	return nil
}

// seconds is the training time of the run's last epoch.
func (r timeToResult) seconds() float64 { return r.Epochs[len(r.Epochs)-1].Seconds }

// timeToScript is the path of bench/pytorch/time_to.py beside the comparison script.
func timeToScript() string {
	return filepath.Join(filepath.Dir(bench.PyTorchScript()), "time_to.py")
}
