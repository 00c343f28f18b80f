package kernels

// A batch norm's backward passes image by image. Its sums (per channel
// Σ dy and Σ dy·(x − mean), of dy masked first after a fused ReLU) are
// each image's per-plane (or, after a ReLU, per-piece) sums, added up per
// channel image after image and piece after piece (channelSums). The op
// that computes dy can take an image's sums as it writes the image, while
// it is in cache (Conv2DBackward's after), leaving the sums pass only the
// additions (BatchNormSumsFromImages); and the op that reads dx, the
// gradient of the convolution before the batch norm, can compute each
// image of dx as it needs it (BatchNormDataImages, Conv2DBackward's
// output-gradient hook), so that dx never goes to memory. The batch norm's
// own passes run the same per-image functions, so every way gives the same
// bits.

// BatchNormImageSumsLen is the number of sums of one image of c planes of l
// elements, after a fused ReLU or not.
func BatchNormImageSumsLen(c, l int, relu bool) int { return 2 * c * imagePieces(l, relu) }

// imagePieces is the number of sums per plane: one, or one per piece of
// reluPiece elements after a ReLU (the pieces in which BatchNormReluForward
// normalized the row).
func imagePieces(l int, relu bool) int {
	if relu {
		return ceilDiv(l, reluPiece)
	}
	return 1
}

// BatchNormImageSums sets sums (BatchNormImageSumsLen(c, l, false)) to the
// sums of one image, x and dy of c planes of l elements, of a batch norm
// whose saved mean is mean.
func BatchNormImageSums[T Float](c, l int, x, dy, mean []T, sums []float64) {
	for ch := 0; ch < c; ch++ {
		sums[2*ch], sums[2*ch+1] = gradientSums(x[ch*l:(ch+1)*l], dy[ch*l:(ch+1)*l], mean[ch])
	}
}

// BatchNormReluImageSums sets sums (BatchNormImageSumsLen(c, l, true)) to the
// sums of one image, x and dy of c planes of l elements, of a batch norm
// with transform p followed by a ReLU, dy masked where the recomputed output
// is not positive.
func BatchNormReluImageSums[T Float](c, l int, x []T, p BatchNormAffine[T], dy []T, sums []float64) {
	pieces := imagePieces(l, true)
	var g [reluPiece]T
	for ch := 0; ch < c; ch++ {
		mean, scale, shift := p.channel(ch)
		for j := 0; j < pieces; j++ {
			a, b := ch*l+j*reluPiece, ch*l+min((j+1)*reluPiece, l)
			s := sums[2*(ch*pieces+j):]
			s[0], s[1] = reluGradientSums(x[a:b], dy[a:b], g[:], mean, scale, shift)
		}
	}
}

// BatchNormSumsFromImages sets dgamma = Σ dy·x̂ and dbeta = Σ dy (either may
// be nil) from the sums of n images, image i's at
// sums[i·BatchNormImageSumsLen(c, l, relu):].
func BatchNormSumsFromImages[T Float](n, c, l int, relu bool, sums []float64, saveInvStd, dgamma, dbeta []T) {
	channelSums(n, c, imagePieces(l, relu), sums, func(ch int, sumDy, sumDyXc float64) {
		setGradientSums(ch, sumDy, sumDyXc, saveInvStd, dgamma, dbeta)
	})
}

// imageSums runs image(i, sums of image i) for the n images of c planes of
// l elements in parallel, about elementGrain elements a task, in pooled
// scratch, then sets dgamma and dbeta from them.
func imageSums[T Float](n, c, l int, relu bool, saveInvStd, dgamma, dbeta []T, image func(i int, sums []float64)) {
	size := BatchNormImageSumsLen(c, l, relu)
	sums, scratch := pieceSums(n*c, imagePieces(l, relu))
	defer coefficientPool.Put(scratch)
	forImages(n, c*l, sums[:n*size], image)
	BatchNormSumsFromImages(n, c, l, relu, sums, saveInvStd, dgamma, dbeta)
}

// BatchNormDataImages returns the function that writes image i (c planes of
// l elements) of BatchNormBackwardData's dx into dst, and the one that
// releases its scratch once done; l > 1.
func BatchNormDataImages[T Float](n, c, l int, x, gamma, dy, saveMean, saveInvStd, dgamma, dbeta []T) (image func(i int, dst []T), release func()) {
	k, scratch := channelCoefficients(c, 4, func(ch int, dst []float64) {
		a, slope, offset := dataCoefficients[T](n*l, gamma, ch, float64(saveInvStd[ch]), float64(dgamma[ch]), float64(dbeta[ch]))
		dst[0], dst[1], dst[2], dst[3] = float64(saveMean[ch]), float64(a), float64(slope), float64(offset)
	})
	image = func(i int, dst []T) {
		for ch := 0; ch < c; ch++ {
			k, at := k[ch*4:], (i*c+ch)*l
			batchNormDataRow(x[at:at+l], dy[at:at+l], dst[ch*l:(ch+1)*l], T(k[0]), T(k[1]), T(k[2]), T(k[3]))
		}
	}
	return image, func() { coefficientPool.Put(scratch) }
}

// BatchNormReluDataImages is BatchNormDataImages for
// BatchNormReluBackwardData's dx.
func BatchNormReluDataImages[T Float](n, c, l int, x []T, p BatchNormAffine[T], dy, saveInvStd, dgamma, dbeta []T) (image func(i int, dst []T), release func()) {
	k, scratch := channelCoefficients(c, 6, func(ch int, dst []float64) {
		mean, scale, shift := p.channel(ch)
		a, slope, offset := dataCoefficients[T](n*l, p.Gamma, ch, float64(saveInvStd[ch]), float64(dgamma[ch]), float64(dbeta[ch]))
		for i, v := range [6]T{mean, scale, shift, a, slope, offset} {
			dst[i] = float64(v)
		}
	})
	image = func(i int, dst []T) {
		var g [reluPiece]T
		for ch := 0; ch < c; ch++ {
			k, at := k[ch*6:], (i*c+ch)*l
			for b := 0; b < l; b += reluPiece {
				e := min(b+reluPiece, l)
				reluDataRow(x[at+b:at+e], dy[at+b:at+e], dst[ch*l+b:ch*l+e], g[:], T(k[0]), T(k[1]), T(k[2]), T(k[3]), T(k[4]), T(k[5]))
			}
		}
	}
	return image, func() { coefficientPool.Put(scratch) }
}

// forImages runs image(i, part i of t cut into n equal parts) for the n
// images of elems elements each in parallel, about elementGrain elements a
// task.
func forImages[E any](n, elems int, t []E, image func(i int, part []E)) {
	size := len(t) / n
	ParallelFor(n, max(1, elementGrain/elems), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			image(i, t[i*size:(i+1)*size])
		}
	})
}
