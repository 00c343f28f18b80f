// Package sweeps holds the experiments of `train sweep NAME`, one file each:
// every one shows a training problem (underfitting, overfitting, vanishing
// gradients, a slow optimizer, …) next to its cure, prints a table, and
// writes metrics.jsonl and plots. The MNIST sweeps build their runs from a
// recipe.Config and train them with the trainer; poly trains its polynomial
// fits with the trainer on one in-memory batch; recipes runs the recipe items
// (label smoothing, mixup, cutmix, EMA, RandAugment, one-cycle) alone and
// together on noisy labels; transfer pretrains a torchvision ResNet and
// fine-tunes it on other classes through recipe.SetupWithData.
package sweeps
