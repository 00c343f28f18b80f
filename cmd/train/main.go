package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/cmd/train/internal/sweeps"
	"github.com/descent-ml/descent/trainer"
)

func main() {
	err := dispatch(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(2)
	}
}

func dispatch(args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "train":
			return trainCommand(args[1:])
		case "eval":
			return evalCommand(args[1:])
		case "bench":
			return benchCommand(args[1:])
		case "sweep":
			return sweeps.Command(args[1:])
		}
	}
	return trainCommand(args)
}

func trainCommand(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cfg := recipe.DefaultConfig()
	cfg.RegisterFlags(fs)
	of := recipe.RegisterOptimizerFlags(fs)
	out := fs.String("out", "", "folder for metrics.jsonl, plots, config.json, checkpoints and model.safetensors")
	resume := fs.String("resume", "", "continue the run in this folder from its last checkpoint")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := recipe.ParseFlags(fs, args); err != nil {
		return err
	}
	of.Collect(fs, &cfg)
	var ck *checkpoint
	if *resume != "" {
		var err error
		if ck, err = loadCheckpoint(*resume); err != nil {
			return err
		}
		epochs := cfg.Epochs
		cfg = ck.Config
		fs.Visit(func(f *flag.Flag) { // a resumed run may be extended
			if f.Name == "epochs" {
				cfg.Epochs = epochs
			}
		})
		*out = *resume
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return fmt.Errorf("flag -out: %w", err)
		}
		if err := writeJSON(filepath.Join(*out, "config.json"), cfg); err != nil {
			return err
		}
	}
	r, err := recipe.Setup(cfg, os.Stdout)
	if err != nil {
		return err
	}
	r.Progress = !*quiet && term.IsTerminal(int(os.Stderr.Fd()))
	if ck != nil {
		if err := r.Resume(ck.state(), ck.Metrics); err != nil {
			return fmt.Errorf("flag -resume %s: checkpoint: %w", *resume, err)
		}
		fmt.Printf("resuming %s after epoch %d\n", *resume, ck.Epoch)
	}
	if *out != "" {
		saveAfterEveryEpoch(r, *out)
	}
	f, err := r.Train()
	if errors.Is(err, trainer.ErrDiverged) && *out != "" {
		return fmt.Errorf("%w; the last good checkpoint is kept in %s", err, *out)
	}
	if err != nil || *out == "" {
		return err
	}
	if err := writeMetrics(*out, r.History, f); err != nil {
		return err
	}
	return plotCurves(*out, r.History)
}

func evalCommand(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	dir := fs.String("run", "", "run folder holding checkpoint.gob")
	dataDir := fs.String("data-dir", "", "override the run's -data-dir")
	if err := recipe.ParseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("flag -run: the run folder is required")
	}
	ck, err := loadCheckpoint(*dir)
	if err != nil {
		return err
	}
	cfg := ck.Config
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	r, err := recipe.Setup(cfg, os.Stdout)
	if err != nil {
		return err
	}
	if err := r.Trainer.RestoreParams(ck.Params); err != nil {
		return fmt.Errorf("checkpoint in %s: %w", *dir, err)
	}
	loss, acc, err := r.Evaluate(r.Data.Test)
	if err != nil {
		return err
	}
	fmt.Printf("test loss %.4f  test accuracy %.2f%%  (%d images, checkpoint after epoch %d)\n", loss, 100*acc, r.Data.Test.Len(), ck.Epoch)
	return nil
}
