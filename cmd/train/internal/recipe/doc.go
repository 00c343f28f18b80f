// Package recipe turns the train command's configuration (Config: flags,
// config.json, the Config of a checkpoint) into a training run: data split
// and normalized, loaders, the model, the device, the optimizer and its
// schedule, and the trainer.Trainer that trains them (Setup). Config.Validate
// checks every field, naming the flag, before anything is read, and Setup
// refuses a model and batch whose estimated memory exceeds -max-memory
// before anything is allocated. A Run prints a
// line per epoch and keeps the metrics of each (History); the command and
// the sweeps attach what they write through the trainer's hooks. A
// Predictor classifies images with a trained model under the evaluation
// transform of its run (ModelInfo, the run folder's model.json).
//
// RegisterFlags binds every flag (flags.go, and a flags_*.go file per later
// topic: recipe items, schedules, best epoch and early stopping). SetupToRestore
// sets a run up from a checkpoint's Config without reading -weights,
// SetupWithData on data prepared by the caller (the sweeps); Run.Resume,
// ResumeBest and RestartSchedule continue a stored run, Run.FindLR runs the
// learning-rate range test (LRRange), and Run.Report evaluates a split into an
// evaluation.Report.
package recipe
