package launch

import "github.com/descent-ml/descent/cuda"

// Batch normalization (batch_norm.cu) over N×C×L tensors; the reductions run
// one block per channel.

func BatchNormStats(n, c, l int, x, mean, variance cuda.Ptr) cuda.Launch {
	return perChannel("BatchNormStats", c, i(n), i(c), i(l), p(x), p(mean), p(variance))
}
func BatchNormUpdateRunning(count int, momentum float32, mean, variance, runMean, runVar cuda.Ptr, c int) cuda.Launch {
	return elementwise("BatchNormUpdateRunning", c, i(count), f(momentum), p(mean), p(variance), p(runMean), p(runVar), i(c))
}
func BatchNormInvStd(c int, variance cuda.Ptr, eps float64, invStd cuda.Ptr) cuda.Launch {
	return elementwise("BatchNormInvStd", c, i(c), p(variance), cuda.F64Arg(eps), p(invStd))
}
func BatchNormForwardEval(n, c, l int, x, gamma, beta, runMean, runVar cuda.Ptr, eps float32, y cuda.Ptr) cuda.Launch {
	return elementwise("BatchNormForwardEval", n*c*l, i(n), i(c), i(l), p(x), p(gamma), p(beta), p(runMean), p(runVar), f(eps), p(y))
}
func BatchNormBackward(n, c, l int, x, gamma, dy, saveMean, saveInvStd, dx, dgamma, dbeta cuda.Ptr) cuda.Launch {
	return perChannel("BatchNormBackward", c, i(n), i(c), i(l), p(x), p(gamma), p(dy), p(saveMean), p(saveInvStd), p(dx), p(dgamma), p(dbeta))
}
func BatchNormBackwardData(n, c, l int, x, gamma, dy, saveMean, saveInvStd, dgamma, dbeta, dx cuda.Ptr) cuda.Launch {
	return elementwise("BatchNormBackwardData", n*c*l, i(n), i(c), i(l), p(x), p(gamma), p(dy), p(saveMean), p(saveInvStd), p(dgamma), p(dbeta), p(dx))
}
func BatchNormBackwardEval(n, c, l int, gamma, runVar cuda.Ptr, eps float32, dy, dx cuda.Ptr) cuda.Launch {
	return elementwise("BatchNormBackwardEval", n*c*l, i(n), i(c), i(l), p(gamma), p(runVar), f(eps), p(dy), p(dx))
}
