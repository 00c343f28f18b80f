package graph

import (
	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// sceKernel is softmax followed by cross-entropy against integer labels, fused
// and computed with log-sum-exp, averaged over the batch: (N×classes, N) → scalar.
type sceKernel struct{}

// SoftmaxCrossEntropy adds the mean cross-entropy of softmax(logits) against
// labels, a length-N vector holding class indices.
func SoftmaxCrossEntropy(logits, labels *gorgonia.Node) (*gorgonia.Node, error) {
	return apply(sceKernel{}, logits, labels)
}

func (sceKernel) String() string  { return "softmax_cross_entropy" }
func (sceKernel) dims() []int     { return []int{2, 1, 0} }
func (sceKernel) diffWRT() []bool { return []bool{true, false} }

func (sceKernel) inferShape(in [][]int) ([]int, error) {
	if len(in[0]) != 2 || len(in[1]) != 1 || in[0][0] != in[1][0] {
		return nil, shapeError("softmax cross-entropy", "logits", in[0], "labels", in[1])
	}
	return []int{}, nil
}

func (sceKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, classes := in[0].Shape[0], in[0].Shape[1]
	if out.F32 != nil {
		loss, err := kernels.SoftmaxCrossEntropyForward(n, classes, in[0].F32, in[1].F32)
		out.F32[0] = loss
		return err
	}
	loss, err := kernels.SoftmaxCrossEntropyForward(n, classes, in[0].F64, in[1].F64)
	out.F64[0] = loss
	return err
}

func (sceKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dlogits, err := apply(sceGradKernel{}, in[0], in[1], grad)
	return gorgonia.Nodes{dlogits, nil}, err
}

// sceGradKernel computes dlogits from (logits, labels, dloss).
type sceGradKernel struct{ noGrad }

func (sceGradKernel) String() string                       { return "grad_softmax_cross_entropy" }
func (sceGradKernel) dims() []int                          { return []int{2, 1, 0, 2} }
func (sceGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (sceGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, classes := in[0].Shape[0], in[0].Shape[1]
	if out.F32 != nil {
		kernels.SoftmaxCrossEntropyBackward(n, classes, in[0].F32, in[1].F32, in[2].F32[0], out.F32)
	} else {
		kernels.SoftmaxCrossEntropyBackward(n, classes, in[0].F64, in[1].F64, in[2].F64[0], out.F64)
	}
	return nil
}

// countCorrect counts the rows of logits whose arg-max equals the label.
func countCorrect(logits, labels *Buffer) int {
	n, classes := logits.Shape[0], logits.Shape[1]
	if logits.F32 != nil {
		return kernels.CountCorrect(n, classes, logits.F32, labels.F32)
	}
	return kernels.CountCorrect(n, classes, logits.F64, labels.F64)
}
