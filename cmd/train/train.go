package main

import (
	"path/filepath"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/trainer"
)

// saveAfterEveryEpoch makes r write, after every epoch, its checkpoint,
// metrics.jsonl and model.safetensors into the run folder out.
func saveAfterEveryEpoch(r *recipe.Run, out string) {
	r.Trainer.OnEpoch(func(trainer.EpochInfo) error {
		st, err := r.Trainer.State()
		if err != nil {
			return err
		}
		ck := &checkpoint{Config: r.Cfg, Epoch: st.Epoch, Iteration: st.Iteration,
			Params: st.Params, Optimizer: st.Optimizer, Schedule: st.Schedule, Metrics: r.History}
		if err := saveCheckpoint(out, ck); err != nil {
			return err
		}
		if err := writeMetrics(out, r.History, nil); err != nil {
			return err
		}
		return exportSafetensors(filepath.Join(out, "model.safetensors"), r.Trainer.Model())
	})
}

// state is the trainer's part of a checkpoint.
func (ck *checkpoint) state() trainer.State {
	return trainer.State{Epoch: ck.Epoch, Iteration: ck.Iteration, Params: ck.Params, Optimizer: ck.Optimizer, Schedule: ck.Schedule}
}
