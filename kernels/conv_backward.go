package kernels

// A convolution's backward passes, image by image. Where its backward data
// pass runs an image at a time (by stride phases, or as an implicit GEMM)
// and its backward filter pass too (an implicit GEMM), Conv2DBackward runs
// both in one pass over the images: each image's output gradients, read
// from memory for the data pass, are still in the lane's cache when the
// filter pass reads them.
//
// A tensor read by a convolution and by another op (a residual block's
// input, read by the block's first convolution and by its shortcut) gets
// the sum of their gradients, often masked by the ReLU that produced it
// (AddConvBackward, ReluBackwardSumConvBackward): there each image of the
// convolution's input gradient stays in a lane's scratch and is summed
// there, so that it never goes to memory and back. Elsewhere the passes run
// one after the other, the sum in place.

// Conv2DBackward sets dx = Conv2DBackwardData(s, w, dy) and, where dw is
// not nil, dw = Conv2DBackwardFilter(s, x, dy). Where after is not nil, it
// calls after(n, image n of dx) for every image once it is written, on the
// goroutine that wrote it (while it is in cache where the data pass runs by
// images). work holds ConvBackwardWorkspace(s) elements.
func Conv2DBackward[T Float](s ConvShape, x, w, dy, dx, dw, work []T, after func(n int, dx []T)) {
	convBackwardImages(s, x, w, dy, dx, dw, work, nil, after)
}

// AddConvBackward sets dx = a + Conv2DBackwardData(s, w, dy) and, where dw
// is not nil, dw = Conv2DBackwardFilter(s, x, dy), calling after as
// Conv2DBackward does. work holds ConvBackwardWorkspace(s) elements.
func AddConvBackward[T Float](s ConvShape, a, x, w, dy, dx, dw, work []T, after func(n int, dx []T)) {
	convBackwardImages(s, x, w, dy, dx, dw, work, func(o int, img, dst []T) {
		addRow(a[o:o+len(dst)], img, dst)
	}, after)
}

// ReluBackwardSumConvBackward sets dx = a + Conv2DBackwardData(s, w, dy)
// where y > 0 or NaN, else 0 (ReluBackwardSum of a gradient and a
// convolution's input gradient) and, where dw is not nil, dw =
// Conv2DBackwardFilter(s, x, dy), calling after as Conv2DBackward does.
// work holds ConvBackwardWorkspace(s) elements.
func ReluBackwardSumConvBackward[T Float](s ConvShape, y, a, x, w, dy, dx, dw, work []T, after func(n int, dx []T)) {
	convBackwardImages(s, x, w, dy, dx, dw, work, func(o int, img, dst []T) {
		reluBackwardSumRow(y[o:o+len(dst)], a[o:o+len(dst)], img, dst)
	}, after)
}

// dataByImages reports whether s's backward data pass runs an image at a
// time (Conv2DBackwardData's dispatch).
func dataByImages(s ConvShape) bool {
	return !s.Depthwise() && (implicitBackwardData(s) || stridedData(s))
}

// dataImagesWorkspace is the scratch of s's backward data pass by images.
func dataImagesWorkspace(s ConvShape) int {
	if implicitBackwardData(s) {
		return implicitWorkspace(transposedConv(s))
	}
	return stridedWorkspace(s)
}

// ConvBackwardWorkspace is the number of scratch elements Conv2DBackward,
// AddConvBackward and ReluBackwardSumConvBackward need for shape s: that
// of the passes one after the other, or of the data pass by images, an
// image per lane and the filter pass.
func ConvBackwardWorkspace(s ConvShape) int {
	size := Conv2DWorkspace(s)
	if dataByImages(s) {
		size = max(size, dataImagesWorkspace(s)+implicitLanes(s)*s.C*s.H*s.W+implicitFilterWorkspace(s))
	}
	return size
}

// convBackwardImages computes dx from Conv2DBackwardData(s, w, dy), as it
// is or, where sum is not nil, by sum(o, img, dst) for each of its images
// img, dst being the image of dx to write and o its offset in dx, and,
// where dw is not nil, dw, and calls after, where not nil, with every
// image of dx.
func convBackwardImages[T Float](s ConvShape, x, w, dy, dx, dw, work []T, sum func(o int, img, dst []T), after func(n int, dx []T)) {
	chw := s.C * s.H * s.W
	if !dataByImages(s) {
		Conv2DBackwardData(s, w, dy, dx, work)
		if sum != nil {
			ParallelFor(len(dx), elementGrain, func(_, lo, hi int) { sum(lo, dx[lo:hi], dx[lo:hi]) })
		}
		if after != nil {
			ParallelFor(s.N, 1, func(_, lo, hi int) {
				for n := lo; n < hi; n++ {
					after(n, dx[n*chw:(n+1)*chw])
				}
			})
		}
		if dw != nil {
			Conv2DBackwardFilter(s, x, dy, dw, work)
		}
		return
	}
	data := dataImagesWorkspace(s)
	images, rest := work[data:data+implicitLanes(s)*chw], work[data+implicitLanes(s)*chw:]
	image := func(_, n int) []T { return dx[n*chw : (n+1)*chw] }
	if sum != nil {
		image = func(lane, _ int) []T { return images[lane*chw : (lane+1)*chw] }
	}
	var filter *implicitFilterPass[T]
	if dw != nil && implicitFilter[T](s) {
		filter = newImplicitFilterPass(s, x, dy, rest)
	}
	var done func(n int, img []T)
	if sum != nil || filter != nil || after != nil {
		done = func(n int, img []T) {
			if sum != nil {
				sum(n*chw, img, dx[n*chw:(n+1)*chw])
			}
			if after != nil {
				after(n, dx[n*chw:(n+1)*chw])
			}
			if filter != nil {
				filter.image(n)
			}
		}
	}
	if implicitBackwardData(s) {
		implicitBackwardDataImages(s, w, dy, work, image, done)
	} else {
		stridedImages(s, w, dy, work, image, done)
	}
	switch {
	case filter != nil:
		filter.finish(dw)
	case dw != nil:
		Conv2DBackwardFilter(s, x, dy, dw, work)
	}
}
