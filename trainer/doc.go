// Package trainer is Descent's one training loop: the command line, the
// benchmarks, the sweeps and library users all train through it.
//
// A Trainer is built (New) from a model (a layers network built with
// layers.Build, or any graph.Model), a device ("cpu", "gpu" or a
// graph.Backend), an optimizer holding its parameter groups (usually
// model.Trainable()) with an optional learning-rate schedule, and loaders
// (Images wraps an augment.Loader; FullBatch serves data held in memory).
// Then:
//
//   - Fit(ctx, epochs) trains until that many epochs are complete. Hooks run
//     after every step (OnStep), between backward pass and update with the
//     gradients on the host (OnGradients), and after every epoch (OnEpoch):
//     metrics, checkpoints, plots and progress bars attach there. Cancelling
//     ctx, or a hook returning Stop, ends Fit after the step under way.
//   - Evaluate(loader) returns the loss, accuracy and counts in evaluation
//     mode (EvaluateEach also hands each batch's logits to a report);
//     Predict(x) the class probabilities of a batch. A loader that can fail
//     mid-epoch (an image that cannot be read) is an ErrLoader: its error
//     ends Fit or Evaluate instead of a short epoch.
//   - TrackBest adds a Best, an epoch hook that keeps the parameters of the
//     best epoch by validation loss or accuracy, runs hooks on every
//     improvement (to save them) and, with a patience, stops Fit early;
//     RestoreBest brings the best weights back, and its State resumes.
//   - State and Restore save and restore a run (parameters, optimizer and
//     schedule state, EMA, epoch and step counters): a restored run
//     continues bit-exactly. RestoreParams sets the parameters alone (to
//     evaluate saved weights); SetSchedule replaces the schedule of a run
//     (a new cosine cycle on a resumed one).
//   - A loss or gradient that is no longer finite ends Fit with ErrDiverged,
//     unless the optimizer skips such steps. Close releases the device.
//
// Config.Recipe adds the parts of torchvision's and timm's training recipes
// that live inside the loop: mixup and
// cutmix of every training batch (seeded per epoch and batch; the model
// takes soft targets, see layers.BuildCrossEntropy), an EMA of the weights
// updated after every optimizer step and evaluated after every epoch
// (EpochInfo.EMAVal, EvaluateEMA, EMAWeights), and gradient accumulation over
// several batches per optimizer step.
//
// Labels are []int class indices; a regression's batches carry targets
// instead. OpenDevice opens the backend of a device name for code that
// drives a graph.Machine itself (Machine, Model give the trainer's). On a device that can keep them (graph.ResidentBackend, the GPU),
// the parameters and the optimizer's state move to the device when training
// starts and stay there: a step moves the batch up and the loss down, the
// update runs inside the training run's CUDA graph (unless a gradient hook
// needs the gradients before it), and the host's copies are refreshed only
// when something reads them (State, Sync, Penalty, a gradient hook).
//
// The package example trains a small convolutional network of its own on
// MNIST in a dozen lines:
//
//	model, err := layers.Build(net, []int{64, 1, 28, 28}, tensor.Float32, seed)
//	opt, err := solvers.New("adam", map[string]any{"lr": 0.01})
//	err = opt.AddGroup(model.Trainable(), nil)
//	t, err := trainer.New(trainer.Config{Model: model, Optimizer: opt, Train: train})
//	err = t.Fit(ctx, 2)
//	result, err := t.Evaluate(test)
package trainer
