//go:build !amd64 || noasm

package kernels

// Without the assembly reductions, batch norm runs its Go loops.

func shiftedSumsAsm[T Float](x []T, shift float64) (sum, sumSq float64, ok bool) {
	return 0, 0, false
}

func gradientSumsAsm[T Float](x, dy []T, mean float64) (sumDy, sumDyXc float64, ok bool) {
	return 0, 0, false
}

func normalizeAsm[T Float](x, y []T, mean, scale, shift T) bool { return false }

func batchNormDataAsm[T Float](x, dy, dx []T, mean, a, slope, offset T) bool { return false }

func reluGradientSumsAsm[T Float](x, dy []T, mean, scale, shift T) (sumDy, sumDyXc float64, ok bool) {
	return 0, 0, false
}

func reluDataAsm[T Float](x, dy, dx []T, mean, a, slope, offset, scale, shift T) bool { return false }

func normalizeReluAsm[T Float](x, y []T, mean, scale, shift T, stream bool) bool { return false }

func normalizeAddReluAsm[T Float](x, r, y []T, mean, scale, shift T, stream bool) bool { return false }

func normalize2AddReluAsm[T Float](x, r, y []T, mean, scale, shift, meanR, scaleR, shiftR T, stream bool) bool {
	return false
}

// storeFence has nothing to order: the Go loops store as usual.
func storeFence() {}
