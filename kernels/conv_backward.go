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
// one after the other, the sum in place. Hooks (ConvBackwardHooks) let the
// op that reads dx take each image as it is written, and the op that
// computes dy write each image as the passes need it.

// ConvBackwardHooks are the per-image hooks of Conv2DBackward,
// AddConvBackward and ReluBackwardSumConvBackward; either may be nil.
type ConvBackwardHooks[T Float] struct {
	// OutputGradient writes image n of the output gradients into dy, in
	// place of the dy argument: a batch norm's input gradient computed as
	// the convolution needs it (BatchNormDataImages). The dy argument is
	// then written first, whole, only where a pass cannot run by images.
	OutputGradient func(n int, dy []T)
	// After is called with every image n of dx once it is written, on the
	// goroutine that wrote it (in cache where the data pass runs by images).
	After func(n int, dx []T)
}

// Conv2DBackward sets dx = Conv2DBackwardData(s, w, dy) and, where dw is
// not nil, dw = Conv2DBackwardFilter(s, x, dy), with hooks. work holds
// ConvBackwardWorkspace(s) elements.
func Conv2DBackward[T Float](s ConvShape, x, w, dy, dx, dw, work []T, hooks ConvBackwardHooks[T]) {
	convBackwardImages(s, x, w, dy, dx, dw, work, nil, hooks)
}

// AddConvBackward sets dx = a + Conv2DBackwardData(s, w, dy) and, where dw
// is not nil, dw = Conv2DBackwardFilter(s, x, dy), with hooks. work holds
// ConvBackwardWorkspace(s) elements.
func AddConvBackward[T Float](s ConvShape, a, x, w, dy, dx, dw, work []T, hooks ConvBackwardHooks[T]) {
	convBackwardImages(s, x, w, dy, dx, dw, work, func(o int, img, dst []T) {
		addRow(a[o:o+len(dst)], img, dst)
	}, hooks)
}

// ReluBackwardSumConvBackward sets dx = a + Conv2DBackwardData(s, w, dy)
// where y > 0 or NaN, else 0 (ReluBackwardSum of a gradient and a
// convolution's input gradient) and, where dw is not nil, dw =
// Conv2DBackwardFilter(s, x, dy), with hooks. work holds
// ConvBackwardWorkspace(s) elements.
func ReluBackwardSumConvBackward[T Float](s ConvShape, y, a, x, w, dy, dx, dw, work []T, hooks ConvBackwardHooks[T]) {
	convBackwardImages(s, x, w, dy, dx, dw, work, func(o int, img, dst []T) {
		reluBackwardSumRow(y[o:o+len(dst)], a[o:o+len(dst)], img, dst)
	}, hooks)
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
// image of dx and one of dy per lane and the filter pass.
func ConvBackwardWorkspace(s ConvShape) int {
	size := Conv2DWorkspace(s)
	if dataByImages(s) {
		lanes := implicitLanes(s) * (s.C*s.H*s.W + s.K*s.OutH()*s.OutW())
		size = max(size, dataImagesWorkspace(s)+lanes+implicitFilterWorkspace(s))
	}
	return size
}

// convBackwardImages computes dx from Conv2DBackwardData(s, w, dy), as it
// is or, where sum is not nil, by sum(o, img, dst) for each of its images
// img, dst being the image of dx to write and o its offset in dx, and,
// where dw is not nil, dw, with hooks.
func convBackwardImages[T Float](s ConvShape, x, w, dy, dx, dw, work []T, sum func(o int, img, dst []T), hooks ConvBackwardHooks[T]) {
	chw, kp, lanes := s.C*s.H*s.W, s.K*s.OutH()*s.OutW(), implicitLanes(s)
	filterByImages := dw != nil && implicitFilter[T](s)
	if hooks.OutputGradient != nil && (!dataByImages(s) || dw != nil && !filterByImages) {
		forImages(s.N, kp, dy, hooks.OutputGradient)
		hooks.OutputGradient = nil
	}
	if !dataByImages(s) {
		Conv2DBackwardData(s, w, dy, dx, work)
		if sum != nil {
			ParallelFor(len(dx), elementGrain, func(_, lo, hi int) { sum(lo, dx[lo:hi], dx[lo:hi]) })
		}
		if hooks.After != nil {
			forImages(s.N, chw, dx, hooks.After)
		}
		if dw != nil {
			Conv2DBackwardFilter(s, x, dy, dw, work)
		}
		return
	}
	data := dataImagesWorkspace(s)
	images, grads := work[data:data+lanes*chw], work[data+lanes*chw:data+lanes*(chw+kp)]
	image := func(_, n int) []T { return dx[n*chw : (n+1)*chw] }
	if sum != nil {
		image = func(lane, _ int) []T { return images[lane*chw : (lane+1)*chw] }
	}
	stored := func(_, n int) []T { return dy[n*kp : (n+1)*kp] } // where image n's output gradients are read
	gradient := stored
	if hooks.OutputGradient != nil {
		stored = func(lane, _ int) []T { return grads[lane*kp : (lane+1)*kp] }
		gradient = func(lane, n int) []T {
			g := stored(lane, n)
			hooks.OutputGradient(n, g)
			return g
		}
	}
	var filter *implicitFilterPass[T]
	if filterByImages {
		filter = newImplicitFilterPass(s, x, work[data+lanes*(chw+kp):])
	}
	var done func(n int, img []T)
	if sum != nil || filter != nil || hooks.After != nil {
		done = func(n int, img []T) {
			if sum != nil {
				sum(n*chw, img, dx[n*chw:(n+1)*chw])
			}
			if hooks.After != nil {
				hooks.After(n, dx[n*chw:(n+1)*chw])
			}
			if filter != nil { // image n's output gradients, still in the lane's cache
				filter.image(n, stored(n%lanes, n))
			}
		}
	}
	if implicitBackwardData(s) {
		implicitBackwardDataImages(s, w, gradient, work, image, done)
	} else {
		stridedImages(s, w, gradient, work, image, done)
	}
	switch {
	case filter != nil:
		filter.finish(dw)
	case dw != nil:
		Conv2DBackwardFilter(s, x, dy, dw, work)
	}
}

// Conv2DBackwardFilterImages is Conv2DBackwardFilter with image n of the
// output gradients written into dy by outputGradient(n, dy) as the pass
// needs it, in place of the dy argument, which is written first, whole,
// only where the pass cannot run by images. work holds
// ConvFilterImagesWorkspace(s) elements.
func Conv2DBackwardFilterImages[T Float](s ConvShape, x, dy, dw, work []T, outputGradient func(n int, dy []T)) {
	if shiftFilterImages[T](s) {
		hook := any(outputGradient).(func(int, []float32)) // T is float32
		shiftBackwardFilter(s, asFloat32(x), nil, asFloat32(dw), asFloat32(work), hook)
		return
	}
	if !implicitFilter[T](s) {
		forImages(s.N, s.K*s.OutH()*s.OutW(), dy, outputGradient)
		Conv2DBackwardFilter(s, x, dy, dw, work)
		return
	}
	kp, size := s.K*s.OutH()*s.OutW(), implicitFilterWorkspace(s)
	grads := work[size : size+implicitLanes(s)*kp]
	implicitFilterImages(s, x, func(lane, n int) []T {
		g := grads[lane*kp : (lane+1)*kp]
		outputGradient(n, g)
		return g
	}, dw, work[:size])
}

// shiftFilterImages reports whether Conv2DBackwardFilter runs s on shift
// planes, group by group (Conv2DBackwardFilter's dispatch).
func shiftFilterImages[T Float](s ConvShape) bool {
	return !s.Depthwise() && !deepConv(s) && !implicitFilter[T](s) && shiftFloat32[T]() && !winogradFilter(s) && shiftFilter(s)
}

// ConvFilterImagesWorkspace is the number of scratch elements
// Conv2DBackwardFilterImages needs for shape s.
func ConvFilterImagesWorkspace(s ConvShape) int {
	size := max(Conv2DWorkspace(s), implicitFilterWorkspace(s)+implicitLanes(s)*s.K*s.OutH()*s.OutW())
	if shiftFilter(s) {
		size = max(size, shiftImagesWorkspace(s))
	}
	return size
}
