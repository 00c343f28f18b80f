package main

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/internal/checksummed"
	"github.com/descent-ml/descent/internal/runfolder"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

const checkpointFile = "checkpoint.gob"

// bestCheckpointFile is the checkpoint of the best epoch by -monitor.
const bestCheckpointFile = "best_checkpoint.gob"

// checkpointFormat frames the gob-encoded storedCheckpoint with a checksum.
// Version 1 is the first framed one; earlier checkpoints were bare gob.
var checkpointFormat = checksummed.Format{Magic: "DESCKPT\n", Version: 1}

// maxCheckpointBytes bounds the content length a checkpoint header may declare.
const maxCheckpointBytes = 1 << 40

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
	Best      *trainer.BestState // the best epoch so far and its parameters; nil without tracking
}

// errNotFinite is a parameter or optimizer value that is NaN or infinite.
var errNotFinite = errors.New("not finite")

// checkFinite finds the first non-finite value of the parameters, the
// optimizer state and its learning rates.
func (ck *checkpoint) checkFinite() error {
	if err := paramsFinite("parameter", ck.Params); err != nil {
		return err
	}
	if ck.Best != nil {
		if err := paramsFinite("best epoch's parameter", ck.Best.Params); err != nil {
			return err
		}
	}
	for _, g := range ck.Optimizer.Groups {
		if !isFinite(g.LR) {
			return fmt.Errorf("the learning rate is %w: %v", errNotFinite, g.LR)
		}
		for _, p := range g.Params {
			for slot, b := range p.Buffers {
				if b == nil {
					return fmt.Errorf("optimizer state %s of %s is missing", slot, p.Name)
				}
				for i := range b.Len() {
					if x := b.At(i); !isFinite(x) {
						return fmt.Errorf("optimizer state %s of %s is %w: value %d is %v", slot, p.Name, errNotFinite, i, x)
					}
				}
			}
		}
	}
	return nil
}

func paramsFinite(what string, params map[string][]float32) error {
	for name, v := range params {
		for i, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("%s %s is %w: value %d is %v", what, name, errNotFinite, i, x)
			}
		}
	}
	return nil
}

// checkFields checks what load needs beyond the checksum: a configuration
// that passes the flags' validation, the fields every checkpoint has, and
// finite values.
func (ck *checkpoint) checkFields() error {
	if err := ck.Config.Validate(); err != nil {
		return fmt.Errorf("its configuration is invalid: %w", err)
	}
	switch {
	case ck.Epoch < 1 || ck.Epoch > ck.Config.Epochs:
		return fmt.Errorf("it is after epoch %d of %d", ck.Epoch, ck.Config.Epochs)
	case len(ck.Metrics) != ck.Epoch:
		return fmt.Errorf("it holds metrics of %d epochs after epoch %d", len(ck.Metrics), ck.Epoch)
	case ck.Iteration < uint64(ck.Epoch):
		return fmt.Errorf("its step counter %d is below its epoch %d", ck.Iteration, ck.Epoch)
	case len(ck.Params) == 0:
		return errors.New("it holds no parameters")
	case ck.Optimizer.Optimizer == "" || len(ck.Optimizer.Groups) == 0:
		return errors.New("it holds no optimizer state")
	case ck.Schedule == nil && (ck.Config.Schedule != "none" || ck.Config.Warmup > 0):
		return fmt.Errorf("it holds no state of its -schedule %s", ck.Config.Schedule)
	case ck.Best != nil && (ck.Best.Epoch < 1 || ck.Best.Epoch > ck.Epoch || len(ck.Best.Params) != len(ck.Params)):
		return fmt.Errorf("its best epoch %d (of %d, %d tensors) is not one of its epochs", ck.Best.Epoch, ck.Epoch, len(ck.Best.Params))
	}
	return ck.checkFinite()
}

// saveCheckpoint writes ck atomically; a checkpoint with a non-finite value is
// refused (errNotFinite) and nothing is written.
func saveCheckpoint(dir string, ck *checkpoint) error {
	return writeCheckpoint(filepath.Join(dir, checkpointFile), ck)
}

// writeCheckpoint writes ck atomically into the file path, as saveCheckpoint.
func writeCheckpoint(path string, ck *checkpoint) error {
	if err := ck.checkFinite(); err != nil {
		return err
	}
	stored, err := ck.stored()
	if err != nil {
		return err
	}
	var content bytes.Buffer
	if err := gob.NewEncoder(&content).Encode(stored); err != nil {
		return err
	}
	return runfolder.WriteAtomic(path, func(f *os.File) error {
		return checkpointFormat.Write(f, content.Bytes())
	})
}

// loadCheckpoint reads and checks the checkpoint of the run folder dir. Every
// error names the folder or the file.
func loadCheckpoint(dir string) (*checkpoint, error) {
	if info, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("run folder %s: %w", dir, errors.Unwrap(err))
	} else if !info.IsDir() {
		return nil, fmt.Errorf("run folder %s is not a folder", dir)
	}
	path := filepath.Join(dir, checkpointFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("run folder %s has no %s: no epoch of it was completed", dir, checkpointFile)
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCheckpoint(f, path)
}

// readCheckpoint decodes and checks a checkpoint; path names it in errors.
func readCheckpoint(r io.Reader, path string) (*checkpoint, error) {
	content, err := checkpointFormat.Read(r, maxCheckpointBytes)
	if errors.Is(err, checksummed.ErrNotThisFormat) {
		return nil, fmt.Errorf("checkpoint %s has no Descent checkpoint header: it is corrupt, or of the earlier format without a checksum, which this version no longer reads", path)
	} else if err != nil {
		return nil, fmt.Errorf("checkpoint %s is unreadable: %w", path, err)
	}
	var stored storedCheckpoint
	if err := gob.NewDecoder(bytes.NewReader(content)).Decode(&stored); err != nil {
		return nil, fmt.Errorf("checkpoint %s is unreadable: %w", path, err)
	}
	ck, err := stored.checkpoint()
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s is unusable: %w", path, err)
	}
	if err := ck.checkFields(); err != nil {
		return nil, fmt.Errorf("checkpoint %s is unusable: %w", path, err)
	}
	return ck, nil
}
