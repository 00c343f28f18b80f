package main

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/trainer"
)

// runOutput is a run folder that receives, after every epoch, the run's
// checkpoint, config.json, metrics.jsonl and model.safetensors, and after
// every epoch that improves on the best, best_checkpoint.gob and
// best.safetensors.
type runOutput struct {
	dir   string
	saved int // the epoch of the last checkpoint written or resumed from (0: none)
}

// saveAfterEveryEpoch makes r write its files into o's folder after every
// epoch. A checkpoint with a non-finite value is not written: the run has
// diverged, and the last good checkpoint stays.
func (o *runOutput) saveAfterEveryEpoch(r *recipe.Run) {
	r.Trainer.OnEpoch(func(trainer.EpochInfo) error {
		ck, err := checkpointOf(r)
		if err != nil {
			return err
		}
		if err := saveCheckpoint(o.dir, ck); errors.Is(err, errNotFinite) {
			return fmt.Errorf("%w: after epoch %d, %v", trainer.ErrDiverged, ck.Epoch, err)
		} else if err != nil {
			return err
		}
		o.saved = ck.Epoch
		// config.json is written with the checkpoint it describes, so that a
		// run that fails earlier leaves a folder's previous run whole.
		if err := writeJSON(filepath.Join(o.dir, "config.json"), r.Cfg); err != nil {
			return err
		}
		if err := writeClasses(o.dir, r.Data.Classes); err != nil {
			return err
		}
		if err := writeMetrics(o.dir, r.History, nil); err != nil {
			return err
		}
		if err := exportEMA(o.dir, r, ck.Iteration); err != nil {
			return err
		}
		return exportModel(o.dir, r, ck.Iteration)
	})
}

// saveBestEpochs makes r write best.safetensors and best_checkpoint.gob into
// o's folder whenever an epoch improves on the best by -monitor. They are
// written before the epoch's checkpoint.gob, which holds the best epoch's
// weights too: a run killed in between redoes that epoch bit-exactly and
// writes them again.
func (o *runOutput) saveBestEpochs(r *recipe.Run) {
	if r.Best == nil {
		return
	}
	r.Best.OnImprove(func(trainer.EpochInfo) error {
		ck, err := checkpointOf(r)
		if err != nil {
			return err
		}
		if err := writeCheckpoint(filepath.Join(o.dir, bestCheckpointFile), ck); errors.Is(err, errNotFinite) {
			return fmt.Errorf("%w: after epoch %d, %v", trainer.ErrDiverged, ck.Epoch, err)
		} else if err != nil {
			return err
		}
		return writeModel(filepath.Join(o.dir, bestModelFile), r.Trainer.Model().Params, ck.Iteration)
	})
}

// checkpointOf is the run's checkpoint as it is now.
func checkpointOf(r *recipe.Run) (*checkpoint, error) {
	st, err := r.Trainer.State()
	if err != nil {
		return nil, err
	}
	ck := &checkpoint{Config: r.Cfg, Epoch: st.Epoch, Iteration: st.Iteration,
		Params: st.Params, Optimizer: st.Optimizer, Schedule: st.Schedule, Metrics: r.History, EMA: st.EMA}
	if r.Best != nil && r.Best.Epoch() > 0 {
		best := r.Best.State()
		ck.Best = &best
	}
	return ck, nil
}

// state is the trainer's part of a checkpoint.
func (ck *checkpoint) state() trainer.State {
	return trainer.State{Epoch: ck.Epoch, Iteration: ck.Iteration, Params: ck.Params, Optimizer: ck.Optimizer, Schedule: ck.Schedule, EMA: ck.EMA}
}

// exportEMA writes the EMA weights (-ema), averaged weights and the model's
// batch-norm statistics, as ema.safetensors beside model.safetensors.
func exportEMA(dir string, r *recipe.Run, steps uint64) error {
	weights, err := r.Trainer.EMAWeights()
	if err != nil || weights == nil {
		return err
	}
	return writeModel(filepath.Join(dir, "ema.safetensors"), weights, steps)
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
