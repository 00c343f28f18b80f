// Package bench measures Descent's training throughput. It is what
// `train bench` runs; training does not need it.
//
// A Cell is one model × optimizer × normalization (none, input normalization,
// batch norm) × device at a batch size; Matrix lists them for the models of
// Models: MLP, LeNet and the small ResNet, and torchvision's resnet18,
// resnet50 and mobilenet_v2 at 224×224 (Network builds each). Measure times
// a cell as cmd/train trains, through the same trainer.Trainer: the host-side
// input preparation, the forward and backward program and the optimizer
// update, on random images, each timed repeat one epoch of the trainer after
// warm-up; a Result holds the images/s of every repeat and their median
// (Summarize). Options sets repeats and steps (Quick: brief ones).
//
// Compare measures a cell in PyTorch too (bench/pytorch/throughput.py, the
// same networks written in PyTorch, run by Python), under each TorchConfig of
// CPUTorchConfigs (intra-op and OpenBLAS threads, malloc) on the CPU: Descent and
// every configuration are warmed up, then take turns, one timed repeat each
// per round, so that all see the same machine state. WriteComparison prints
// the markdown table against PyTorch's best configuration, headed by the date,
// the Machine, its load and the command.
// TorchScript is the line protocol with a serving PyTorch script, which
// `train bench -time-to` uses too.
//
// WriteTable, WriteJSON, WriteCSV and WriteBarChart write a matrix's results;
// WriteProfile prints graph.Profile's per-layer forward and backward times.
package bench
