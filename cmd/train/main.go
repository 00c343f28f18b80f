package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/term"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/cmd/train/internal/sweeps"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/evaluation"
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
		case "lr-find":
			return lrFindCommand(args[1:])
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
		if err := r.ResumeBest(ck.Best); err != nil {
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
		folder.saveBestEpochs(r)
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
	if r.TestReport != nil {
		if err := r.TestReport.WriteFiles(dir); err != nil {
			return err
		}
	}
	return plotCurves(dir, r.History)
}

func evalCommand(args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	dir := fs.String("run", "", "run folder holding checkpoint.gob")
	dataDir := fs.String("data-dir", "", "override the run's -data-dir")
	use := fs.String("use", "", "the weights to evaluate: best (the best epoch by -monitor) or last (default: best when the run has one)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object instead of text")
	misclassified := fs.Int("misclassified", 0, "draw the N most confidently wrong test images into misclassified.png in the run folder")
	if err := recipe.ParseFlags(fs, args); err != nil {
		return err
	}
	if *use != "" && *use != "best" && *use != "last" {
		return fmt.Errorf("flag -use: unknown %q (want best or last)", *use)
	}
	if *misclassified < 0 || *misclassified > maxMisclassified {
		return fmt.Errorf("flag -misclassified: %d is not in [0, %d]", *misclassified, maxMisclassified)
	}
	if *dir == "" {
		return fmt.Errorf("flag -run: the run folder is required")
	}
	ck, err := loadCheckpoint(*dir)
	if err != nil {
		return fmt.Errorf("flag -run: %w", err)
	}
	// The report's files go into the run folder, which no run may be writing.
	folder, err := runfolder.Lock(*dir)
	if err != nil {
		return fmt.Errorf("flag -run %s: %w", *dir, err)
	}
	defer folder.Unlock()
	cfg := ck.Config
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	log := io.Writer(os.Stdout)
	if *asJSON {
		log = os.Stderr // stdout holds the one object
	}
	r, err := recipe.SetupToRestore(cfg, log)
	if err != nil {
		return err
	}
	if err := checkClasses(*dir, r.Data.Classes); err != nil {
		return err
	}
	params, epoch, which := ck.Params, ck.Epoch, "last"
	switch {
	case *use == "best" && ck.Best == nil:
		return fmt.Errorf("flag -use best: the run in %s has no best epoch (it had no validation split)", *dir)
	case *use != "last" && ck.Best != nil:
		params, epoch, which = ck.Best.Params, ck.Best.Epoch, "best"
	}
	if err := r.Trainer.RestoreParams(params); err != nil {
		return fmt.Errorf("checkpoint in %s: %w", *dir, err)
	}
	test := r.Data.TestSource()
	res, rep, err := r.Report(test, *misclassified)
	if err != nil {
		return err
	}
	if rep == nil {
		return fmt.Errorf("the run in %s has no test split to evaluate (flag -split %s)", *dir, cfg.Split)
	}
	if err := rep.WriteFiles(*dir); err != nil {
		return err
	}
	if *misclassified > 0 && len(rep.Mistakes()) > 0 {
		if err := rep.WriteMistakes(filepath.Join(*dir, "misclassified.png"), func(i int) (data.Image, error) {
			return test.Image(i, nil)
		}); err != nil {
			return err
		}
	}
	s := rep.Summary()
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(evalReport{TestLoss: recipe.Metric(res.Loss), Weights: which, Epoch: epoch, Summary: s})
	}
	if err := s.WriteText(os.Stdout); err != nil {
		return err
	}
	fmt.Printf("test loss %.4f  test accuracy %.2f%%  top-%d %.2f%%  (%d images; the %s weights, of epoch %d; checkpoint after epoch %d); confusion.csv and confusion.png written into %s\n",
		res.Loss, 100*res.Accuracy, evaluation.TopK, 100*s.Top5, test.Len(), which, epoch, ck.Epoch, *dir)
	return nil
}

// maxMisclassified bounds -misclassified: the grid is drawn in memory.
const maxMisclassified = 1000

// evalReport is what eval -json prints.
type evalReport struct {
	TestLoss recipe.Metric `json:"test_loss"`
	Weights  string        `json:"weights"` // best or last
	Epoch    int           `json:"epoch"`
	evaluation.Summary
}
