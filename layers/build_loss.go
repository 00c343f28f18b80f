package layers

import (
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// BuildCrossEntropy is BuildFrozen with cross-entropy's options (label
// smoothing, class weights) and, with softTargets, labels that are N×classes
// probabilities, as batch mixing makes them.
func BuildCrossEntropy(net Layer, inputShape []int, dtype tensor.Dtype, seed uint64, freeze []string,
	loss graph.CrossEntropyOptions, softTargets bool) (*graph.Model, error) {
	return build(net, inputShape, dtype, seed, freeze, func(b *graph.Builder, input, logits *gorgonia.Node) (*graph.Model, error) {
		return b.FinishCrossEntropy(input, logits, loss, softTargets)
	})
}
