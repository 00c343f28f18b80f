package main

import (
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/solvers"
)

const checkpointFile = "checkpoint.gob"

// checkpoint is everything a run needs to continue exactly where it stopped:
// the data order and augmentation follow from the seed and the epoch, dropout
// masks from the seed and the iteration.
type checkpoint struct {
	Config    recipe.Config
	Epoch     int    // epochs completed
	Iteration uint64 // training steps run
	Params    map[string][]float32
	Optimizer solvers.State
	Schedule  *solvers.ScheduleState
	Metrics   []recipe.EpochMetrics
}

// writeAtomic writes a file through a temporary file in the same folder and a
// rename, so a crash leaves either the old file or the new one, never a part.
func writeAtomic(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op once renamed
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func saveCheckpoint(dir string, ck *checkpoint) error {
	return writeAtomic(filepath.Join(dir, checkpointFile), func(f *os.File) error {
		return gob.NewEncoder(f).Encode(ck)
	})
}

func loadCheckpoint(dir string) (*checkpoint, error) {
	path := filepath.Join(dir, checkpointFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("no checkpoint to resume from: %w", err)
	}
	defer f.Close()
	var ck checkpoint
	if err := gob.NewDecoder(f).Decode(&ck); err != nil {
		return nil, fmt.Errorf("checkpoint %s is unreadable: %w", path, err)
	}
	return &ck, nil
}
