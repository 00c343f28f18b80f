package kernels

// A tensor read by a convolution and by another op (a residual block's
// input, read by the block's first convolution and by its shortcut) gets
// the sum of their gradients, often masked by the ReLU that produced it.
// Where the convolution's backward data pass runs image by image (by stride
// phases, or as an implicit GEMM), each image of its gradient stays in a
// lane's scratch and is summed there, while in cache, so that it never goes
// to memory and back; otherwise the convolution writes dx, which is then
// summed in place.

// AddConvData sets dx = a + Conv2DBackwardData(s, w, dy). work holds
// ConvDataSumWorkspace(s) elements.
func AddConvData[T Float](s ConvShape, a, w, dy, dx, work []T) {
	convDataSum(s, w, dy, dx, work, func(o int, img, dst []T) {
		addRow(a[o:o+len(dst)], img, dst)
	})
}

// ReluBackwardSumConvData sets dx = a + Conv2DBackwardData(s, w, dy) where
// y > 0 or NaN, else 0: ReluBackwardSum of a gradient and a convolution's
// input gradient. work holds ConvDataSumWorkspace(s) elements.
func ReluBackwardSumConvData[T Float](s ConvShape, y, a, w, dy, dx, work []T) {
	convDataSum(s, w, dy, dx, work, func(o int, img, dst []T) {
		reluBackwardSumRow(y[o:o+len(dst)], a[o:o+len(dst)], img, dst)
	})
}

// ConvDataSumWorkspace is the number of scratch elements AddConvData and
// ReluBackwardSumConvData need for shape s: the backward data pass's, and
// where it runs image by image an image per lane.
func ConvDataSumWorkspace(s ConvShape) int {
	switch {
	case s.Depthwise():
		return 0
	case implicitBackwardData(s):
		return implicitWorkspace(transposedConv(s)) + implicitLanes(s)*s.C*s.H*s.W
	case stridedData(s):
		return stridedWorkspace(s) + implicitLanes(s)*s.C*s.H*s.W
	}
	return Conv2DWorkspace(s)
}

// convDataSum computes the images of Conv2DBackwardData(s, w, dy) and calls
// sum(o, img, dst) for each, with img the image, dst the image of dx to
// write and o its offset in dx, on the goroutine that computed img. It
// dispatches as Conv2DBackwardData does.
func convDataSum[T Float](s ConvShape, w, dy, dx, work []T, sum func(o int, img, dst []T)) {
	chw := s.C * s.H * s.W
	lanes := func(scratch int) func(lane, _ int) []T { // an image per lane past the pass's scratch
		images := work[scratch:]
		return func(lane, _ int) []T { return images[lane*chw : (lane+1)*chw] }
	}
	done := func(n int, img []T) { sum(n*chw, img, dx[n*chw:(n+1)*chw]) }
	switch {
	case s.Depthwise():
	case implicitBackwardData(s):
		implicitBackwardDataImages(s, w, dy, work, lanes(implicitWorkspace(transposedConv(s))), done)
		return
	case stridedData(s):
		stridedImages(s, w, dy, work, lanes(stridedWorkspace(s)), done)
		return
	}
	Conv2DBackwardData(s, w, dy, dx, work)
	ParallelFor(len(dx), elementGrain, func(_, lo, hi int) { sum(lo, dx[lo:hi], dx[lo:hi]) })
}
