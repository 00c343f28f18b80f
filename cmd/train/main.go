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
	"github.com/descent-ml/descent/internal/runfolder"
	"github.com/descent-ml/descent/trainer"
)

func main() {
	defer reportPanic()
	err := dispatch(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(2)
	}
}

// reportPanic turns a panic of the main goroutine, which is a bug, into one
// line and exit status 3 instead of a stack trace meant for developers;
// DESCENT_TRACEBACK=1 keeps the trace.
func reportPanic() {
	if os.Getenv("DESCENT_TRACEBACK") == "1" {
		return
	}
	if p := recover(); p != nil {
		fmt.Fprintf(os.Stderr, "train: internal error: %v (a bug: please report it with the command line; DESCENT_TRACEBACK=1 prints the stack)\n", p)
		os.Exit(3)
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
		case "predict":
			return predictCommand(args[1:], os.Stdout, os.Stderr)
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
	restart := fs.Bool("restart-schedule", false, "with -resume and a larger -epochs: run a new cosine cycle over the added epochs once the run's has ended")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := recipe.ParseFlags(fs, args); err != nil {
		return err
	}
	of.Collect(fs, &cfg)
	recipe.ResolveModelDefaults(fs, &cfg)
	// Everything is checked before anything is read, allocated or written.
	if err := cfg.Validate(); err != nil {
		return err
	}
	dir := *out
	if *resume != "" {
		if *out != "" && filepath.Clean(*out) != filepath.Clean(*resume) {
			return fmt.Errorf("flag -out %s: a resumed run stays in its folder, %s", *out, *resume)
		}
		if _, err := os.Stat(*resume); err != nil {
			return fmt.Errorf("flag -resume: run folder %s: %w", *resume, errors.Unwrap(err))
		}
		dir = *resume
	} else if *restart {
		return fmt.Errorf("flag -restart-schedule: only a resumed run (-resume) can restart its schedule")
	}
	if dir != "" {
		folder, err := runfolder.Lock(dir)
		if err != nil {
			dirFlag := "out"
			if *resume != "" {
				dirFlag = "resume"
			}
			return fmt.Errorf("flag -%s %s: %w", dirFlag, dir, err)
		}
		defer folder.Unlock()
	}
	var ck *checkpoint
	if *resume != "" {
		var err error
		if ck, err = loadCheckpoint(*resume); err != nil {
			return fmt.Errorf("flag -resume: %w", err)
		}
		if cfg, err = resumeConfig(ck.Config, cfg, fs); err != nil {
			return err
		}
		if err := extend(&cfg, ck, *restart); err != nil {
			return err
		}
	}
	setup := recipe.Setup
	if ck != nil {
		setup = recipe.SetupToRestore // the checkpoint's parameters replace -weights
	}
	r, err := setup(cfg, os.Stdout)
	if err != nil {
		return err
	}
	r.Progress = !*quiet && term.IsTerminal(int(os.Stderr.Fd()))
	folder := &runOutput{dir: dir}
	if ck != nil {
		if err := r.Resume(ck.state(), ck.Metrics); err != nil {
			return fmt.Errorf("flag -resume %s: checkpoint: %w", *resume, err)
		}
		if *restart {
			if err := r.RestartSchedule(ck.Schedule.BaseLRs); err != nil {
				return err
			}
		}
		folder.saved = ck.Epoch
		fmt.Printf("resuming %s after epoch %d\n", *resume, ck.Epoch)
	}
	if dir != "" {
		folder.saveAfterEveryEpoch(r)
	}
	f, err := r.Train()
	if errors.Is(err, trainer.ErrDiverged) && dir != "" {
		if folder.saved == 0 {
			return fmt.Errorf("%w; no checkpoint of this run was written to %s: no epoch ended with finite parameters", err, dir)
		}
		return fmt.Errorf("%w; the checkpoint of epoch %d, the last with finite values, is kept in %s", err, folder.saved, dir)
	}
	if err != nil || dir == "" {
		return err
	}
	if err := writeMetrics(dir, r.History, f); err != nil {
		return err
	}
	return plotCurves(dir, r.History)
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
		return fmt.Errorf("flag -run: %w", err)
	}
	cfg := ck.Config
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	r, err := recipe.SetupToRestore(cfg, os.Stdout)
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
