package graph

import (
	"fmt"
	"math"
	"slices"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/kernels"
)

// CrossEntropyOptions are the options of torch.nn.functional.cross_entropy
// that Descent supports (reduction "mean").
type CrossEntropyOptions struct {
	// LabelSmoothing ε in [0, 1) mixes each target with the uniform
	// distribution: (1−ε)·target + ε/classes.
	LabelSmoothing float64
	// ClassWeights holds one non-negative weight per class, or nil. With class
	// indices the mean is then weighted (divided by the sum of the weights of
	// the samples' classes), as in PyTorch.
	ClassWeights []float64
}

// check reports the first option that is out of range for classes classes.
func (o CrossEntropyOptions) check(classes int) error {
	if e := o.LabelSmoothing; !(e >= 0 && e < 1) {
		return fmt.Errorf("cross-entropy: label smoothing %v is outside [0, 1)", e)
	}
	if o.ClassWeights == nil {
		return nil
	}
	if len(o.ClassWeights) != classes {
		return fmt.Errorf("cross-entropy: %d class weights for %d classes", len(o.ClassWeights), classes)
	}
	for c, w := range o.ClassWeights {
		if !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("cross-entropy: weight %v of class %d is not a finite non-negative number", w, c)
		}
	}
	return nil
}

// sceKernel is softmax followed by cross-entropy, fused and computed with
// log-sum-exp, averaged over the batch: (N×classes, targets[, weights]) →
// scalar. Targets are N class indices or, soft, N×classes probabilities.
type sceKernel struct {
	smoothing float64
	soft      bool // targets are probabilities
	weighted  bool // a third argument holds the class weights
}

// SoftmaxCrossEntropy adds the mean cross-entropy of softmax(logits) against
// labels, a length-N vector holding class indices.
func SoftmaxCrossEntropy(logits, labels *gorgonia.Node) (*gorgonia.Node, error) {
	return CrossEntropy(logits, labels, CrossEntropyOptions{})
}

// CrossEntropy adds torch.nn.functional.cross_entropy(logits, targets, ...)
// with reduction "mean": targets are N class indices (a vector) or N×classes
// probabilities (soft targets, as mixup and cutmix make them).
func CrossEntropy(logits, targets *gorgonia.Node, opt CrossEntropyOptions) (*gorgonia.Node, error) {
	if logits.Dims() != 2 {
		return nil, fmt.Errorf("cross-entropy: logits %v are not N×classes", logits.Shape())
	}
	if err := opt.check(logits.Shape()[1]); err != nil {
		return nil, err
	}
	k := sceKernel{smoothing: opt.LabelSmoothing, soft: targets.Dims() == 2, weighted: opt.ClassWeights != nil}
	args := []*gorgonia.Node{logits, targets}
	if k.weighted {
		args = append(args, classWeights(logits, opt.ClassWeights))
	}
	return apply(k, args...)
}

// classWeights is a constant node holding the weights in logits' dtype.
func classWeights(logits *gorgonia.Node, weights []float64) *gorgonia.Node {
	var backing any = weights
	if logits.Dtype() == tensor.Float32 {
		w32 := make([]float32, len(weights))
		for i, w := range weights {
			w32[i] = float32(w)
		}
		backing = w32
	}
	t := tensor.New(tensor.WithShape(len(weights)), tensor.WithBacking(backing))
	return gorgonia.NewConstant(t, gorgonia.WithName(fmt.Sprintf("class_weights%v", weights)))
}

func (k sceKernel) String() string {
	return fmt.Sprintf("softmax_cross_entropy(smoothing=%g,soft=%t,weighted=%t)", k.smoothing, k.soft, k.weighted)
}

// argDims are the ranks of logits, targets and weights.
func (k sceKernel) argDims() []int {
	d := []int{2, 1}
	if k.soft {
		d[1] = 2
	}
	if k.weighted {
		d = append(d, 1)
	}
	return d
}

func (k sceKernel) dims() []int { return append(k.argDims(), 0) }

// diffWRT: only the logits have a gradient.
func (k sceKernel) diffWRT() []bool {
	wrt := make([]bool, len(k.argDims()))
	wrt[0] = true
	return wrt
}

func (k sceKernel) inferShape(in [][]int) ([]int, error) {
	logits, targets := in[0], in[1]
	want := []int{logits[0]}
	if k.soft {
		want = logits
	}
	if len(logits) != 2 || !slices.Equal(targets, want) {
		return nil, shapeError("softmax cross-entropy", "logits", logits, "targets", targets)
	}
	if k.weighted && (len(in[2]) != 1 || in[2][0] != logits[1]) {
		return nil, shapeError("softmax cross-entropy", "logits", logits, "class weights", in[2])
	}
	return []int{}, nil
}

// target views the targets and weights among the arguments in.
func target[T kernels.Float](k sceKernel, in []*Buffer) kernels.CrossEntropyTarget[T] {
	t := kernels.CrossEntropyTarget[T]{Values: view[T](in[1]), Soft: k.soft, Smoothing: T(k.smoothing)}
	if k.weighted {
		t.Weights = view[T](in[2])
	}
	return t
}

func (k sceKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, classes := in[0].Shape[0], in[0].Shape[1]
	if out.F32 != nil {
		loss, err := kernels.SoftmaxCrossEntropyForward(n, classes, in[0].F32, target[float32](k, in))
		out.F32[0] = loss
		return err
	}
	loss, err := kernels.SoftmaxCrossEntropyForward(n, classes, in[0].F64, target[float64](k, in))
	out.F64[0] = loss
	return err
}

func (k sceKernel) symDiff(in gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dlogits, err := apply(sceGradKernel{fwd: k}, append(append(gorgonia.Nodes{}, in...), grad)...)
	grads := make(gorgonia.Nodes, len(in))
	grads[0] = dlogits
	return grads, err
}

// sceGradKernel computes dlogits from the forward arguments and dloss.
type sceGradKernel struct {
	noGrad
	fwd sceKernel
}

func (k sceGradKernel) String() string                       { return "grad_" + k.fwd.String() }
func (k sceGradKernel) dims() []int                          { return append(k.fwd.argDims(), 0, 2) }
func (k sceGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (k sceGradKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	n, classes := in[0].Shape[0], in[0].Shape[1]
	dloss := in[len(in)-1]
	if out.F32 != nil {
		kernels.SoftmaxCrossEntropyBackward(n, classes, in[0].F32, target[float32](k.fwd, in), dloss.F32[0], out.F32)
	} else {
		kernels.SoftmaxCrossEntropyBackward(n, classes, in[0].F64, target[float64](k.fwd, in), dloss.F64[0], out.F64)
	}
	return nil
}

// countCorrect counts the rows of logits whose arg-max equals the target's
// class (the dominant class of soft targets).
func countCorrect(logits, targets *Buffer, soft bool) int {
	n, classes := logits.Shape[0], logits.Shape[1]
	if logits.F32 != nil {
		return kernels.CountCorrect(n, classes, logits.F32, targets.F32, soft)
	}
	return kernels.CountCorrect(n, classes, logits.F64, targets.F64, soft)
}
