// Command train trains, evaluates, benchmarks and compares image classifiers
// with Descent.
//
//	train [flags]              train (LeNet with batch norm on MNIST with Adam by default)
//	train eval -run DIR        evaluate a run's last checkpoint on its test split
//	train predict -run DIR IMAGE…                    top classes of images with a run's model
//	train predict -model NAME -weights FILE IMAGE…   … or with torchvision weights
//	train bench [flags]        throughput matrix: model × optimizer × normalization × device
//	train sweep NAME [flags]   experiments that show each training problem and its cure
//
// Run "train -h" or "train SUBCOMMAND -h" for the flags.
//
// A training run is a Config (package internal/recipe: the flags, and how they
// become data, model, optimizer, schedule and a trainer.Trainer): it reads and
// splits the data (package data), fits the input normalization on the
// training split, prepares batches in worker goroutines (package augment),
// builds the model (package layers) and trains it with the trainer, the one
// training loop of the project. After every epoch it prints one line, and the
// command, through an epoch hook, appends to metrics.jsonl and writes an
// atomic, checksummed checkpoint (refused when a value is not finite), so
// -resume continues exactly; at the end it evaluates the
// test split and reports the generalization gap. The sweeps' experiments live
// in package internal/sweeps, one file each. The command holds no engine logic
// and no training loop.
package main
