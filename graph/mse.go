package graph

import (
	"fmt"
	"slices"

	"gorgonia.org/gorgonia"
)

// mseKernel is the mean squared error over every element, as torch.nn.MSELoss
// with reduction "mean": (prediction, target) → scalar.
type mseKernel struct{ rank int }

// MeanSquaredError adds mean((prediction − target)²) over all elements.
func MeanSquaredError(prediction, target *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(mseKernel{rank: prediction.Dims()}, prediction, target)
}

func (k mseKernel) String() string  { return fmt.Sprintf("mse(rank=%d)", k.rank) }
func (k mseKernel) dims() []int     { return []int{k.rank, k.rank, 0} }
func (k mseKernel) diffWRT() []bool { return []bool{true, false} }

func (k mseKernel) inferShape(in [][]int) ([]int, error) {
	if !slices.Equal(in[0], in[1]) {
		return nil, shapeError("mean squared error", "prediction", in[0], "target", in[1])
	}
	return []int{}, nil
}

func (k mseKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	var sum float64
	n := in[0].Len()
	for i := 0; i < n; i++ {
		d := in[0].At(i) - in[1].At(i)
		sum += d * d
	}
	out.Set(0, sum/float64(n))
	return nil
}

func (k mseKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	d, err := apply(mseGradKernel{rank: k.rank}, in[0], in[1], grad)
	return gorgonia.Nodes{d, nil}, err
}

// mseGradKernel computes 2·(prediction − target)·dloss/n.
type mseGradKernel struct {
	noGrad
	rank int
}

func (k mseGradKernel) String() string                       { return fmt.Sprintf("grad_mse(rank=%d)", k.rank) }
func (k mseGradKernel) dims() []int                          { return []int{k.rank, k.rank, 0, k.rank} }
func (k mseGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (k mseGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n := in[0].Len()
	scale := 2 * in[2].At(0) / float64(n)
	for i := 0; i < n; i++ {
		out.Set(i, scale*(in[0].At(i)-in[1].At(i)))
	}
	return nil
}
