package main

import (
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/runfolder"
	"github.com/descent-ml/descent/layers/weights"
)

// Files of a run folder that predict reads.
const (
	modelFile     = "model.safetensors"
	bestModelFile = "best.safetensors"
	modelInfoFile = "model.json"
)

// exportModel writes the model of r into dir: model.safetensors, every
// parameter and running statistic under its PyTorch name and layout with
// num_batches_tracked set to the training steps taken (torchvision's
// load_state_dict(strict=True) accepts it), and model.json, the class names
// and the evaluation transform that predict applies. model.safetensors is
// the last file an epoch writes.
func exportModel(dir string, r *recipe.Run, steps uint64) error {
	if err := writeJSON(filepath.Join(dir, modelInfoFile), r.ModelInfo()); err != nil {
		return err
	}
	return writeModel(filepath.Join(dir, modelFile), r.Trainer.Model().Params, steps)
}

// writeModel writes params as a torchvision state_dict, atomically.
func writeModel(path string, params []*graph.Param, steps uint64) error {
	return runfolder.WriteAtomic(path, func(f *os.File) error {
		return weights.WriteSafetensors(f, params, int64(steps))
	})
}
