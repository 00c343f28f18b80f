package launch

import "github.com/descent-ml/descent/cuda"

// Softmax cross-entropy (softmax_cross_entropy.cu).

// CrossEntropyTarget is the device form of kernels.CrossEntropyTarget: Values
// holds n class indices, or n×classes probabilities when Soft; Weights is 0 or
// one weight per class.
type CrossEntropyTarget struct {
	Values    cuda.Ptr
	Soft      bool
	Weights   cuda.Ptr
	Smoothing float32
}

func (t CrossEntropyTarget) args() []cuda.Arg {
	return []cuda.Arg{p(t.Values), boolArg(t.Soft), p(t.Weights), f(t.Smoothing)}
}

// boolArg passes a C int: 1 for true.
func boolArg(on bool) cuda.Arg {
	if on {
		return i(1)
	}
	return i(0)
}

func SoftmaxCrossEntropyForward(n, classes int, logits cuda.Ptr, target CrossEntropyTarget, loss cuda.Ptr) cuda.Launch {
	args := append(append([]cuda.Arg{i(n), i(classes), p(logits)}, target.args()...), p(loss))
	return oneBlock("SoftmaxCrossEntropyForward", args...)
}
func SoftmaxCrossEntropyBackward(n, classes int, logits cuda.Ptr, target CrossEntropyTarget, dloss, dlogits cuda.Ptr) cuda.Launch {
	args := append(append([]cuda.Arg{i(n), i(classes), p(logits)}, target.args()...), p(dloss), p(dlogits))
	return elementwise("SoftmaxCrossEntropyBackward", n, args...)
}
func CountCorrect(n, classes int, logits, targets cuda.Ptr, soft bool, correct cuda.Ptr) cuda.Launch {
	return oneBlock("CountCorrect", i(n), i(classes), p(logits), p(targets), boolArg(soft), p(correct))
}

// Mean squared error (mse.cu), the regression loss of package graph.

func MeanSquaredError(n int, prediction, target, loss cuda.Ptr) cuda.Launch {
	return oneBlock("MeanSquaredError", i(n), p(prediction), p(target), p(loss))
}
func MeanSquaredErrorBackward(n int, prediction, target, dloss, grad cuda.Ptr) cuda.Launch {
	return elementwise("MeanSquaredErrorBackward", n, i(n), p(prediction), p(target), p(dloss), p(grad))
}
