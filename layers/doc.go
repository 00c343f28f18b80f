// Package layers holds the user-facing building blocks of Descent models —
// Conv2D, Linear, BatchNorm (1d and 2d), Dropout, MaxPool2D, AvgPool2D,
// GlobalAvgPool, Activation, Flatten, Sequential and Residual — the weight
// initializers of torch.nn.init (Xavier/Glorot and Kaiming/He, uniform and
// normal, fan_in/fan_out, nonlinearity gains) and a model zoo: MLP of any depth
// and width, a LeNet-like CNN, a small ResNet for 3×32×32 inputs, and
// torchvision's ImageNet classifiers (resnet18 to resnet152 with a base width,
// mobilenet_v2 with width_mult) under torchvision's parameter names, so that
// their state_dicts load one to one (package weights).
//
// Layers only add nodes and parameters to a graph.Builder; they run no kernels.
// A Sequential builds a batch norm or linear layer followed by ReLU as one
// fused op, and a Residual ending in ReLU its sum (with the body's last batch
// norm) as another; the parameters keep their names.
// Build turns a network into a graph.Model; BuildFrozen also freezes parameter
// name prefixes (Backbone stands for all but the Head), BuildCrossEntropy sets
// the loss's options (label smoothing, class weights, soft targets for batch
// mixing) and BuildRegression ends in mean squared error. Estimate gives a
// network's memory Footprint from the shapes alone, before anything is
// allocated. Torchvision builds a model of TorchvisionArchitectures by name. Parameters get PyTorch-style names
// ("conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight") from the Name
// of each layer, or its index inside an unnamed Sequential.
//
// Defaults are PyTorch's: conv and linear layers have a bias and are initialized
// with kaiming_uniform_(a=√5) (weights and biases U(±1/√fan_in)); batch norm
// starts with γ = 1, β = 0, running mean 0, running variance 1, eps 1e-5,
// momentum 0.1; leaky ReLU's slope is 0.01.
package layers
