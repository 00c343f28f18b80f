package launch

import "github.com/descent-ml/descent/cuda"

// Softmax cross-entropy (softmax_cross_entropy.cu).

func SoftmaxCrossEntropyForward(n, classes int, logits, labels, loss cuda.Ptr) cuda.Launch {
	return oneBlock("SoftmaxCrossEntropyForward", i(n), i(classes), p(logits), p(labels), p(loss))
}
func SoftmaxCrossEntropyBackward(n, classes int, logits, labels, dloss, dlogits cuda.Ptr) cuda.Launch {
	return elementwise("SoftmaxCrossEntropyBackward", n, i(n), i(classes), p(logits), p(labels), p(dloss), p(dlogits))
}
func CountCorrect(n, classes int, logits, labels, correct cuda.Ptr) cuda.Launch {
	return oneBlock("CountCorrect", i(n), i(classes), p(logits), p(labels), p(correct))
}

// Mean squared error (mse.cu), the regression loss of package graph.

func MeanSquaredError(n int, prediction, target, loss cuda.Ptr) cuda.Launch {
	return oneBlock("MeanSquaredError", i(n), p(prediction), p(target), p(loss))
}
func MeanSquaredErrorBackward(n int, prediction, target, dloss, grad cuda.Ptr) cuda.Launch {
	return elementwise("MeanSquaredErrorBackward", n, i(n), p(prediction), p(target), p(dloss), p(grad))
}
