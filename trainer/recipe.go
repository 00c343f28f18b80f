package trainer

import (
	"errors"
	"fmt"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/graph/param"
	"github.com/descent-ml/descent/solvers"
)

// Recipe is the part of today's training recipes that lives in the loop:
// batch mixing and a moving average of the weights.
type Recipe struct {
	// Mix, if not nil, mixes every training batch (mixup or cutmix, timm's
	// batch mode) with parameters drawn from MixSeed, the epoch and the batch's
	// index, so that a resumed run mixes alike. The model must take soft
	// targets (graph.Builder.FinishCrossEntropy); its training accuracy then
	// counts the predictions of each sample's dominant label.
	Mix     *augment.Mix
	MixSeed uint64
	// EMA, if not nil, averages the model's weights: updated after every
	// optimizer step that was taken, on the device when the parameters live
	// there, and evaluated on Config.Val after every epoch (EpochInfo.EMAVal).
	EMA *solvers.EMA
	// Accumulate > 1 sums the gradients of this many consecutive batches
	// (weighted by their sizes, so that they are the gradient of one batch of
	// them all) before each optimizer step; the last step of an epoch takes
	// the batches left. The schedule and the EMA follow optimizer steps.
	Accumulate int
}

// checkRecipe refuses a mix the model cannot train on.
func (t *Trainer) checkRecipe() error {
	if t.recipe.Accumulate < 0 {
		return fmt.Errorf("trainer: accumulating the gradients of %d batches", t.recipe.Accumulate)
	}
	if t.recipe.Mix == nil {
		return nil
	}
	if !t.softTargets() || t.model.Dtype != tensor.Float32 {
		return errors.New("trainer: mixing needs a float32 classifier that takes soft targets (graph.Builder.FinishCrossEntropy)")
	}
	if classes := t.model.Labels.Shape()[1]; t.recipe.Mix.Classes != classes {
		return fmt.Errorf("trainer: the mix has %d classes, the model %d", t.recipe.Mix.Classes, classes)
	}
	return t.recipe.Mix.Validate()
}

// softTargets reports whether the model is a classifier whose labels are
// N×classes probabilities.
func (t *Trainer) softTargets() bool {
	return !t.model.Regression && t.model.Labels.Dims() == 2
}

// trainingTargets mixes the batch when the recipe says so and returns the
// targets to train on.
func (t *Trainer) trainingTargets(epoch int, b *Batch) (*graph.Buffer, error) {
	mix := t.recipe.Mix
	if mix == nil {
		return t.labelsOf(b)
	}
	if b.X == nil || len(b.X.Shape) != 4 || b.X.F32 == nil || len(b.Labels) != b.X.Shape[0] {
		return nil, fmt.Errorf("trainer: mixing needs a float32 N×C×H×W batch and N labels")
	}
	n, c, h, w := b.X.Shape[0], b.X.Shape[1], b.X.Shape[2], b.X.Shape[3]
	targets := t.targetBuffer(n, mix.Classes)
	ab := augment.Batch{Index: b.Index, N: n, C: c, H: h, W: w, X: b.X.F32, Labels: b.Labels}
	if err := mix.Apply(mix.Draw(t.recipe.MixSeed, epoch, b.Index, h, w), &ab, targets.F32); err != nil {
		return nil, err
	}
	return targets, nil
}

// targetBuffer is the reused n×classes buffer of soft targets.
func (t *Trainer) targetBuffer(n, classes int) *graph.Buffer {
	if t.targets == nil {
		t.targets = graph.NewBuffer(t.model.Dtype, 0, classes)
	}
	b := t.targets
	b.Shape = append(b.Shape[:0], n, classes)
	size := n * classes
	if t.model.Dtype == tensor.Float32 {
		if cap(b.F32) < size {
			b.F32 = make([]float32, size)
		}
		b.F32 = b.F32[:size]
	} else {
		if cap(b.F64) < size {
			b.F64 = make([]float64, size)
		}
		b.F64 = b.F64[:size]
	}
	return b
}

// oneHot returns class indices as the soft targets of a model that takes them.
func (t *Trainer) oneHot(labels []int) (*graph.Buffer, error) {
	classes := t.model.Labels.Shape()[1]
	b := t.targetBuffer(len(labels), classes)
	clear(b.F32)
	clear(b.F64)
	for i, y := range labels {
		if y < 0 || y >= classes {
			return nil, fmt.Errorf("trainer: label %d of sample %d is not a class in [0, %d)", y, i, classes)
		}
		b.Set(i*classes+y, 1)
	}
	return b, nil
}

// EvaluateEMA evaluates the EMA weights (with the model's batch-norm
// statistics) over loader's epoch 0, then puts the model's weights back.
func (t *Trainer) EvaluateEMA(loader Loader) (Result, error) {
	if t.recipe.EMA == nil {
		return Result{}, errors.New("trainer: no EMA to evaluate")
	}
	if err := t.swapEMA(); err != nil {
		return Result{}, err
	}
	r, err := t.Evaluate(loader)
	return r, errors.Join(err, t.swapEMA())
}

// swapEMA exchanges the model's trainable weights with their averages, on the
// device too when the parameters live there.
func (t *Trainer) swapEMA() error {
	if err := t.Sync(); err != nil {
		return err
	}
	if err := t.recipe.EMA.Pull(); err != nil {
		return err
	}
	t.recipe.EMA.Swap()
	if t.resident != nil {
		if err := t.resident.PushParams(); err != nil {
			return fmt.Errorf("trainer: uploading the parameters for the EMA: %w", err)
		}
	}
	return nil
}

// EMAWeights returns a copy of the EMA model's tensors (the averaged weights
// and the model's state tensors) under the model's names; nil without an EMA.
func (t *Trainer) EMAWeights() ([]*param.Param, error) {
	if t.recipe.EMA == nil {
		return nil, nil
	}
	if err := t.Sync(); err != nil {
		return nil, err
	}
	if err := t.recipe.EMA.Pull(); err != nil {
		return nil, err
	}
	return t.recipe.EMA.Weights(), nil
}
