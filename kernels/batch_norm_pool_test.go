package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The fused batch norm + ReLU + 2×2 max pooling gives bit for bit what its
// composition gives (BatchNormReluForward then MaxPool2DForward; forward,
// MaxPool2DBackward then BatchNormReluBackward and its Data twin), on even
// and odd planes (an odd row or column no window covers), with gradients
// that ties and the ReLU's zeros route, and with a negative γ (the pooling of
// a flipped channel picks other elements than that of x); in training and, for
// the gradient, in evaluation. Its input gradient image by image
// (BatchNormReluMaxPoolDataImages) is that of its pass.
func testBatchNormReluPoolMatchesComposition[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for _, s := range [][4]int{{2, 3, 8, 8}, {3, 2, 24, 24}, {2, 2, 7, 9}, {1, 4, 2, 2}, {2, 1, 32, 32}, {4, 3, 5, 1 << 4}} {
		n, c, h, w := s[0], s[1], s[2], s[3]
		l := h * w
		b := newBNCase(rng, n, c, l)
		x := asType[T](b.x)
		for i := 0; i < len(x); i += 7 { // ties within windows
			x[i] = x[i/2]
		}
		gamma, beta := asType[T](b.gamma), asType[T](b.beta)
		gamma[0] = -gamma[0]
		mean, variance := make([]T, c), make([]T, c)
		BatchNormStats(n, c, l, x, mean, variance)
		p := BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: mean, Variance: variance, Eps: T(b.eps)}
		ps := BatchNormReluPoolShape(n, c, h, w)
		name := fmt.Sprintf("%dx%dx%dx%d", n, c, h, w)

		r, want, y := make([]T, len(x)), make([]T, n*c*ps.OutH()*ps.OutW()), make([]T, n*c*ps.OutH()*ps.OutW())
		BatchNormReluForward(n, c, l, x, p, r)
		MaxPool2DForward(ps, r, want)
		BatchNormReluMaxPoolForward(n, c, h, w, x, p, y)
		if !slices.Equal(y, want) {
			t.Errorf("%s: y differs from the composition's", name)
		}

		dy := asType[T](uniformSlice(rng, len(y), -1, 1))
		invStd := make([]T, c)
		for ch, v := range variance {
			invStd[ch] = T(1 / math.Sqrt(float64(v)+b.eps))
		}
		full := make([]T, len(x))
		MaxPool2DBackward(ps, r, dy, full)
		wantDgamma, wantDbeta, wantDx := make([]T, c), make([]T, c), make([]T, len(x))
		BatchNormReluBackward(n, c, l, x, p, full, invStd, nil, wantDgamma, wantDbeta)
		BatchNormReluBackwardData(n, c, l, x, p, full, invStd, wantDgamma, wantDbeta, wantDx)
		dgamma, dbeta, dx := make([]T, c), make([]T, c), make([]T, len(x))
		BatchNormReluMaxPoolBackward(n, c, h, w, x, p, dy, invStd, dgamma, dbeta)
		BatchNormReluMaxPoolBackwardData(n, c, h, w, x, p, dy, invStd, dgamma, dbeta, dx)
		if !slices.Equal(dgamma, wantDgamma) || !slices.Equal(dbeta, wantDbeta) {
			t.Errorf("%s: sums %v %v, composition %v %v", name, dgamma, dbeta, wantDgamma, wantDbeta)
		}
		if !slices.Equal(dx, wantDx) {
			t.Errorf("%s: dx differs from the composition's", name)
		}
		if slices.Equal(dx, make([]T, len(dx))) {
			t.Errorf("%s: dx is all zero", name)
		}
		image, release := BatchNormReluMaxPoolDataImages(n, c, h, w, x, p, dy, invStd, dgamma, dbeta)
		byImages := make([]T, len(x))
		for i := n - 1; i >= 0; i-- { // any order: each image on its own
			image(i, byImages[i*c*l:(i+1)*c*l])
		}
		release()
		if !slices.Equal(byImages, dx) {
			t.Errorf("%s: dx image by image differs from the pass's", name)
		}
		BatchNormReluBackwardEval(n, c, l, x, p, full, wantDx)
		BatchNormReluMaxPoolBackwardEval(n, c, h, w, x, p, dy, dx)
		if !slices.Equal(dx, wantDx) {
			t.Errorf("%s: dx in evaluation differs from the composition's", name)
		}
	}
}

func TestBatchNormReluPoolFloat32(t *testing.T) { testBatchNormReluPoolMatchesComposition[float32](t) }
func TestBatchNormReluPoolFloat64(t *testing.T) { testBatchNormReluPoolMatchesComposition[float64](t) }

// BenchmarkBatchNormReluPool times LeNet's first block (batch 64, 32
// channels of 24×24) fused: forward, the backward sums and the backward data.
func BenchmarkBatchNormReluPool(b *testing.B) {
	n, c, h, w := 64, 32, 24, 24
	rng := rand.New(rand.NewPCG(3, 4))
	x := asType[float32](uniformSlice(rng, n*c*h*w, -2, 2))
	dy := asType[float32](uniformSlice(rng, n*c*h*w/4, -1, 1))
	y, dx := make([]float32, len(dy)), make([]float32, len(x))
	mean, variance, invStd := make([]float32, c), make([]float32, c), make([]float32, c)
	BatchNormStats(n, c, h*w, x, mean, variance)
	for ch, v := range variance {
		invStd[ch] = float32(1 / math.Sqrt(float64(v)+1e-5))
	}
	p := BatchNormAffine[float32]{Gamma: asType[float32](uniformSlice(rng, c, 0.5, 1.5)), Beta: asType[float32](uniformSlice(rng, c, -1, 1)), Mean: mean, Variance: variance, Eps: 1e-5}
	dgamma, dbeta := make([]float32, c), make([]float32, c)
	b.Run("forward", func(b *testing.B) {
		for b.Loop() {
			BatchNormReluMaxPoolForward(n, c, h, w, x, p, y)
		}
	})
	b.Run("backward_sums", func(b *testing.B) {
		for b.Loop() {
			BatchNormReluMaxPoolBackward(n, c, h, w, x, p, dy, invStd, dgamma, dbeta)
		}
	})
	b.Run("backward_data", func(b *testing.B) {
		for b.Loop() {
			BatchNormReluMaxPoolBackwardData(n, c, h, w, x, p, dy, invStd, dgamma, dbeta, dx)
		}
	})
}

// BatchNormReluMaxPoolDataImages's image function allocates nothing: the
// first convolution's filter pass calls it for every image of every
// training step, and its scratch planes (2·PoolPlaneMax values) must stay on
// the stack (called through a function value, they went to the heap).
func TestBatchNormReluPoolDataImagesAllocateNothing(t *testing.T) {
	const n, c, h, w = 2, 3, 16, 16
	rng := rand.New(rand.NewPCG(63, 64))
	b := newBNCase(rng, n, c, h*w)
	x := asType[float32](b.x)
	mean, variance := make([]float32, c), make([]float32, c)
	BatchNormStats(n, c, h*w, x, mean, variance)
	p := BatchNormAffine[float32]{Gamma: asType[float32](b.gamma), Beta: asType[float32](b.beta), Mean: mean, Variance: variance, Eps: 1e-5}
	dy := asType[float32](uniformSlice(rng, n*c*h*w/4, -1, 1))
	ones := []float32{1, 1, 1}
	image, release := BatchNormReluMaxPoolDataImages(n, c, h, w, x, p, dy, ones, ones, ones)
	defer release()
	dst := make([]float32, c*h*w)
	if allocs := testing.AllocsPerRun(10, func() { image(1, dst) }); allocs != 0 {
		t.Errorf("%v allocations an image", allocs)
	}
}
