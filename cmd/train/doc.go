// Command train trains, evaluates, benchmarks and compares image classifiers
// with Descent.
//
//	train [flags]              train (LeNet with batch norm on MNIST with Adam by default)
//	train eval -run DIR        the evaluation report of a run's best (or last) weights on its test split
//	train predict -run DIR IMAGE…                    top classes of images with a run's model
//	train predict -model NAME -weights FILE IMAGE…   … or with torchvision weights
//	train bench [flags]        throughput matrix: model × optimizer × normalization × device
//	train bench -loader        the streaming loader's images/s for 1, 2, … workers
//	train bench -compare       the same cells in PyTorch, taking turns with Descent
//	train bench -profile MODEL per-layer forward and backward times of one step
//	                           (-profile-steps: and of every kernel launch)
//	train bench -time-to ACC   training seconds of the default recipe to ACC% MNIST test accuracy, and PyTorch's
//	train lr-find [flags]      Smith's learning-rate range test: plot and suggested rate
//	train sweep NAME [flags]   experiments that show each training problem and its cure
//
// Run "train -h" or "train SUBCOMMAND -h" for the flags.
//
// A training run is a Config (package internal/recipe: the flags, and how they
// become data, model, optimizer, schedule and a trainer.Trainer): it reads and
// splits the data (package data: MNIST and CIFAR-10 in memory, image folders,
// CSV manifests and tar shards streamed), fits the input normalization on the
// training split (ImageNet's statistics for a streamed one), prepares batches in worker goroutines (package augment),
// builds the model (package layers) and trains it with the trainer, the one
// training loop of the project. After every epoch it prints one line, and the
// command, through an epoch hook, appends to metrics.jsonl and writes an
// atomic, checksummed checkpoint (refused when a value is not finite), so
// -resume continues exactly; a trainer.Best keeps the best epoch by -monitor
// (best.safetensors, best_checkpoint.gob) and stops early with -early-stop. At
// the end it evaluates the test split into the evaluation report (package
// evaluation: per-class table, confusion.csv and confusion.png) and reports
// the generalization gap. The sweeps' experiments live
// in package internal/sweeps, one file each. The command holds no engine logic
// and no training loop.
//
// The command's own files: the checkpoint format and its checks
// (checkpoint.go, over internal/checksummed), which flags -resume may change
// (resume.go), the run folder's exports (model.safetensors, best and EMA
// weights, model.json: export.go), metrics.jsonl and the curves (report.go),
// the subcommands (main.go dispatches; predict.go, lrfind.go, bench.go,
// bench_loader.go, bench_timeto.go). Every bad input ends with one line naming the flag,
// file or value and exit status 2.
package main
