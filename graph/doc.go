// Package graph is Descent's engine core: its operations as Gorgonia ops, the
// compiler from a Gorgonia expression graph to a Program, and the Backend that
// runs Programs (the CPU backend here; CUDA under the gpu build tag).
//
// A model is built once with a Builder: Input, named Params, and the ops
// Conv2D (grouped and depthwise too), Linear, BatchNorm, Dropout, MaxPool2D,
// AvgPool2D, GlobalAvgPool (adaptive, to 1×1), Activate (ReLU, leaky ReLU,
// tanh, sigmoid, ReLU6, SiLU, Hardswish, Hardsigmoid), Flatten, Add,
// SoftmaxCrossEntropy, CrossEntropy (label smoothing, class weights, soft
// targets) and MeanSquaredError. A ReLU after a batch norm, a linear layer or
// a residual sum can be fused into it (BatchNormOptions.ReLU, LinearReLU,
// AddReLU, which also takes in a batch norm that produced one of its terms):
// the pre-activation and its gradient then never go to memory, and the
// device runs the fused op as the same launches as the separate ones. Finish or FinishCrossEntropy (classification) or
// FinishRegression adds the loss and lets gorgonia.Grad build the backward
// graph from each op's symbolic gradient. Parameters under frozen name
// prefixes (Builder.Freeze; Under matches a name against them) get no gradient, so the backward graph stops
// where nothing trainable lies below.
//
// A Machine compiles the graph on first use for each batch size and mode
// (training or evaluation) into a Program: the nodes the outputs need, in
// topological order, as a flat list of kernel launches over a static buffer
// plan. Parameters and their gradients are persistent; activations and backward
// temporaries share buffers, each reused once its last reader has run. Shapes
// are re-inferred through each op for the batch size at hand, so a partial last
// batch or a larger evaluation batch needs no rebuilding. In the backward pass
// the compiler folds a convolution's input gradient into the sum of gradients
// that reads it, and links to the convolution's backward data step its filter
// step and the batch norm steps around it (backward_links.go), which the CPU
// kernels then run image by image in one pass; the device backend runs the
// linked steps as before. Profile times each
// layer's forward and backward kernels of a training step (train bench
// -profile, and -profile-steps for every launch).
//
// Buffers, parameters and the optimizer's device update are package
// graph/param's (Buffer, Param, UpdatePlan, … are aliases of its types), so
// that package solvers can use them without depending on this one.
//
// Gradient graphs of Descent ops contain only Descent ops plus two Gorgonia
// built-ins, the dL/dL = 1 constant and the sum of gradients of a node with
// several consumers; the compiler recognizes those and rejects anything else.
// Each op's Do also runs on Gorgonia's TapeMachine, which tests use as an
// independent executor.
//
// Backends: CPU runs the Go kernels; NewCUDA (build tag gpu) runs each step as
// the CUDA twin of its kernel, captured into a CUDA graph. The device backend's
// lowering (backend_device*.go) is plain Go over package cuda's cgo-free types,
// so the default build tests it against an emulation of the CUDA kernels
// (NewDeviceBackend takes any launch.Device); only the _gpu.go files touch the
// driver. A ResidentBackend keeps the parameters in device memory between runs
// and owns an optimizer's state there too: an optimizer describes its update
// (UpdatePlan: fused kernel, hyperparameter rows, penalties, clipping) and the
// backend runs it (DeviceUpdate, backend_update.go), so a training step moves
// only the batch up and a few bytes down (solvers.Optimizer.OnDevice).
//
// Conventions follow PyTorch: NCHW activations, linear weights out×in, conv
// weights K×C×R×S, batch norm momentum 0.1 with the unbiased running variance,
// inverted dropout.
package graph
