package recipe

import (
	"flag"
	"fmt"

	"github.com/descent-ml/descent/trainer"
)

// registerBestFlags binds the best-epoch and early-stopping flags.
func (c *Config) registerBestFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Monitor, "monitor", c.Monitor, "the validation figure that picks the best epoch (best.safetensors, best_checkpoint.gob): val_loss or val_acc")
	fs.IntVar(&c.EarlyStop, "early-stop", c.EarlyStop, "stop after this many epochs without improvement of -monitor, then test the best epoch's weights (0: off)")
	fs.Float64Var(&c.MinDelta, "min-delta", c.MinDelta, "the least change of -monitor that counts as an improvement")
}

// trackBest follows the best epoch when the run has a validation split; with
// -early-stop it must have one.
func (r *Run) trackBest() error {
	if r.Data.ValSource().Len() == 0 {
		if r.Cfg.EarlyStop > 0 {
			return fmt.Errorf("flag -early-stop %d: the run has no validation split to monitor (flag -split %s)", r.Cfg.EarlyStop, r.Cfg.Split)
		}
		return nil
	}
	var err error
	r.Best, err = r.Trainer.TrackBest(trainer.BestConfig{Monitor: r.Cfg.Monitor, MinDelta: r.Cfg.MinDelta, Patience: r.Cfg.EarlyStop})
	return err
}

// ResumeBest continues the best-epoch tracking of a resumed run; a run saved
// without a validation split, or before tracking, has none (nil).
func (r *Run) ResumeBest(s *trainer.BestState) error {
	if r.Best == nil || s == nil {
		return nil
	}
	return r.Best.Restore(*s)
}

// useBest records the best epoch in the final metrics and, with -early-stop,
// restores its weights for the final evaluation.
func (r *Run) useBest(f *FinalMetrics) error {
	if r.Best == nil || r.Best.Epoch() == 0 {
		return nil
	}
	f.BestEpoch = r.Best.Epoch()
	if r.Best.Stopped() {
		fmt.Fprintf(r.Log, "early stop after epoch %d: %s has not improved by more than %g for %d epochs\n",
			r.Trainer.Epoch(), r.monitor(), r.Cfg.MinDelta, r.Cfg.EarlyStop)
	}
	if r.Cfg.EarlyStop == 0 {
		return nil
	}
	fmt.Fprintf(r.Log, "testing the weights of epoch %d, the best by %s (%.4f)\n", r.Best.Epoch(), r.monitor(), r.Best.Value())
	return r.Best.RestoreBest()
}

func (r *Run) monitor() string {
	if r.Cfg.Monitor == "" {
		return trainer.MonitorValLoss
	}
	return r.Cfg.Monitor
}
