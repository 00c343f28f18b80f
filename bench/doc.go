// Package bench measures Descent's training throughput: a matrix of model (MLP,
// LeNet, small ResNet) × optimizer × normalization (none, input normalization,
// batch norm) × device, each cell the median images/s of timed repeats after
// warm-up; a per-layer forward/backward timing report; and the same cells in
// PyTorch (bench/pytorch/throughput.py), measured in the same run, for a ratio.
//
// Each Descent cell times complete training steps as cmd/train runs them,
// through the same trainer.Trainer: the host-side input preparation
// (normalization when the cell asks for it), the forward and backward program
// and the optimizer update, on random images; each timed repeat is one epoch
// of the trainer.
// Training does not need this package.
package bench
