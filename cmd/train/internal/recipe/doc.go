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
package recipe
