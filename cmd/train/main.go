package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"github.com/descent-ml/descent/internal/runfolder"
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
		case "sweep":
			return sweepCommand(args[1:])
		}
	}
	return trainCommand(args)
}

func trainCommand(args []string) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	cfg := defaultConfig()
	cfg.registerFlags(fs)
	of := registerOptimizerFlags(fs)
	out := fs.String("out", "", "folder for metrics.jsonl, plots, config.json, checkpoints and model.safetensors")
	resume := fs.String("resume", "", "continue the run in this folder from its last checkpoint")
	restart := fs.Bool("restart-schedule", false, "with -resume and a larger -epochs: run a new cosine cycle over the added epochs once the run's has ended")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := parse(fs, args); err != nil {
		return err
	}
	of.collect(fs, &cfg)
	// Everything is checked before anything is read, allocated or written.
	if err := cfg.validate(); err != nil {
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
	r, err := setup(cfg, dir, os.Stdout)
	if err != nil {
		return err
	}
	r.progress = !*quiet && term.IsTerminal(int(os.Stderr.Fd()))
	if ck != nil {
		if err := r.resume(ck); err != nil {
			return fmt.Errorf("flag -resume %s: %w", *resume, err)
		}
		if *restart {
			if err := r.restartSchedule(ck); err != nil {
				return err
			}
		}
		fmt.Printf("resuming %s after epoch %d\n", *resume, ck.Epoch)
	}
	_, err = r.train()
	if errors.Is(err, errDiverged) && dir != "" {
		if r.saved == 0 {
			return fmt.Errorf("%w; no checkpoint of this run was written to %s: no epoch ended with finite parameters", err, dir)
		}
		return fmt.Errorf("%w; the checkpoint of epoch %d, the last with finite values, is kept in %s", err, r.saved, dir)
	}
	return err
}

// parse parses flags quietly: a bad flag is reported in one line by main,
// -h prints the flags.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(os.Stdout)
		fmt.Printf("Usage of %s:\n", fs.Name())
		fs.PrintDefaults()
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return err
}

func evalCommand(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	dir := fs.String("run", "", "run folder holding checkpoint.gob")
	dataDir := fs.String("data-dir", "", "override the run's -data-dir")
	if err := parse(fs, args); err != nil {
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
	r, err := setup(cfg, "", os.Stdout)
	if err != nil {
		return err
	}
	if err := restore(r.model, ck.Params); err != nil {
		return err
	}
	loss, acc, err := r.evaluate(r.data.Test)
	if err != nil {
		return err
	}
	fmt.Printf("test loss %.4f  test accuracy %.2f%%  (%d images, checkpoint after epoch %d)\n", loss, 100*acc, r.data.Test.Len(), ck.Epoch)
	return nil
}
