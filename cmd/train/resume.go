package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// resumeChangeable are the flags a resumed run may change: where the data
// is, how far to train, and how the work is done, none of which changes what
// the completed epochs computed.
var resumeChangeable = map[string]bool{
	"epochs": true, "data-dir": true, "manifest": true, "workers": true, "device": true, "eval-batch": true,
	"max-memory": true, "max-image-pixels": true,
	"quiet": true, "out": true, "resume": true, "restart-schedule": true,
}

// resumeConfig returns the configuration of a resumed run: the checkpoint's,
// with the changeable flags set on the command line (fs, parsed into given).
// Any other flag set to a value that differs from the run's is refused, all of
// them listed.
func resumeConfig(saved, given recipe.Config, fs *flag.FlagSet) (recipe.Config, error) {
	// A flag set bound to the run's configuration prints each of its values
	// the way the command line's flag prints the given one.
	savedFlags := flag.NewFlagSet("saved", flag.ContinueOnError)
	cfg := saved
	cfg.Options = map[string]float64{}
	for k, v := range saved.Options {
		cfg.Options[k] = v
	}
	cfg.RegisterFlags(savedFlags)
	optionOf := recipe.OptionOfFlag()
	var changed []string
	fs.Visit(func(f *flag.Flag) {
		if resumeChangeable[f.Name] {
			if sf := savedFlags.Lookup(f.Name); sf != nil {
				sf.Value.Set(f.Value.String())
			}
			return
		}
		if option, ok := optionOf[f.Name]; ok {
			if v, had := saved.Options[option]; !had || v != given.Options[option] {
				changed = append(changed, fmt.Sprintf("-%s %s (the run has %s)", f.Name, f.Value, savedOption(saved, option)))
			}
			return
		}
		if sf := savedFlags.Lookup(f.Name); sf != nil && sf.Value.String() != f.Value.String() {
			changed = append(changed, fmt.Sprintf("-%s %s (the run has %s)", f.Name, f.Value, sf.Value))
		}
	})
	if len(changed) > 0 {
		sort.Strings(changed)
		return recipe.Config{}, fmt.Errorf("flag -resume: these flags would change the run, which keeps its own configuration: %s; only %s may change",
			strings.Join(changed, ", "), changeableList())
	}
	return cfg, nil
}

func savedOption(c recipe.Config, option string) string {
	if v, ok := c.Options[option]; ok {
		return fmt.Sprint(v)
	}
	return "the optimizer's default"
}

func changeableList() string {
	var names []string
	for n := range resumeChangeable {
		if n != "resume" && n != "out" && n != "quiet" {
			names = append(names, "-"+n)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// cosineEnded reports whether the saved run's cosine schedule has reached its
// minimum for good: its period was the run's length (no -t-max), and the run
// is complete. Stepped further, PyTorch's recursive cosine stays at eta_min
// when eta_min is 0, and climbs back otherwise: neither is a continuation.
func cosineEnded(ck *checkpoint) bool {
	return ck.Config.Schedule == "cosine" && ck.Config.TMax == 0 && ck.Epoch >= ck.Config.Epochs
}

// extend applies a larger -epochs to a resumed run. Extending a run whose
// cosine schedule has ended needs -restart-schedule: a new cosine cycle from
// the run's base learning rate over the added epochs.
func extend(cfg *recipe.Config, ck *checkpoint, restart bool) error {
	switch {
	case cfg.Epochs < ck.Epoch:
		return fmt.Errorf("flag -epochs %d: the run has already completed %d epochs", cfg.Epochs, ck.Epoch)
	case restart && !(cosineEnded(ck) && cfg.Epochs > ck.Epoch):
		return fmt.Errorf("flag -restart-schedule: only a completed run with -schedule cosine (no -t-max) that -epochs extends has a schedule to restart")
	case restart:
		cfg.ScheduleRestart = ck.Epoch
	case cosineEnded(ck) && cfg.Epochs > ck.Epoch:
		return fmt.Errorf("flag -epochs %d: the run's cosine schedule ended at epoch %d with lr %g (-eta-min), so the added epochs would train at that rate; add -restart-schedule to run a new cosine cycle from the initial lr over epochs %d–%d",
			cfg.Epochs, ck.Epoch, ck.Config.EtaMin, ck.Epoch+1, cfg.Epochs)
	}
	return nil
}
