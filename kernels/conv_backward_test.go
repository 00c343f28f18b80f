package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Conv2DBackward, AddConvBackward and ReluBackwardSumConvBackward are
// Conv2DBackwardData and Conv2DBackwardFilter, then Add or ReluBackwardSum,
// bit for bit, with and without the filter gradient: on shapes whose images
// stay in a lane's scratch and whose filter pass joins the data pass (by
// stride phases or implicit GEMMs, more images than lanes, the filter pass
// on each of its kernels) and on shapes that run the passes one after the
// other (im2col's GEMMs, depthwise), with a seventh of y zero; After sees
// every image of dx once, as it ends up; the output gradients come from the
// dy argument or image by image from OutputGradient.
func TestConvBackwardMatchesPasses(t *testing.T) {
	testConvBackward[float32](t)
	testConvBackward[float64](t)
}

func testConvBackward[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 63))
	shapes := []ConvShape{
		{N: 6, C: 16, H: 32, W: 32, K: 32, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{N: 5, C: 16, H: 16, W: 16, K: 32, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 3, C: 8, H: 9, W: 7, K: 8, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{N: 6, C: 16, H: 32, W: 32, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 5, C: 32, H: 16, W: 16, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 3, C: 4, H: 8, W: 8, K: 6, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 2, C: 8, H: 8, W: 8, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 8},
	}
	for i, s := range shapes {
		if got, want := dataByImages(s), i < 5; got != want {
			t.Fatalf("%v: data pass by images %t, want %t", s, got, want)
		}
		if got, want := implicitFilter[T](s), i < 5; got != want {
			t.Fatalf("%v: implicit filter pass %t, want %t", s, got, want)
		}
		x := s.N * s.C * s.H * s.W
		in := asType[T](uniformSlice(rng, x, -1, 1))
		y := asType[T](uniformSlice(rng, x, -1, 1))
		a := asType[T](uniformSlice(rng, x, -1, 1))
		w := asType[T](uniformSlice(rng, s.K*s.GroupChannels()*s.R*s.S, -1, 1))
		dy := asType[T](uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1))
		for j := 0; j < x; j += 7 {
			y[j] = 0
		}
		conv, filter := make([]T, x+1), make([]T, len(w)+1)
		Conv2DBackwardData(s, w, dy, conv[:x], make([]T, Conv2DWorkspace(s)))
		Conv2DBackwardFilter(s, in, dy, filter[:len(w)], make([]T, Conv2DWorkspace(s)))
		sum, masked := make([]T, x+1), make([]T, x+1)
		Add(a, conv[:x], sum[:x])
		ReluBackwardSum(y, a, conv[:x], masked[:x])
		work := make([]T, ConvBackwardWorkspace(s))
		kp := s.K * s.OutH() * s.OutW()
		for _, c := range []struct {
			name string
			run  func(dy, dx, dw []T, hooks ConvBackwardHooks[T])
			want []T
		}{
			{"Conv2DBackward", func(dy, dx, dw []T, hooks ConvBackwardHooks[T]) { Conv2DBackward(s, in, w, dy, dx, dw, work, hooks) }, conv},
			{"AddConvBackward", func(dy, dx, dw []T, hooks ConvBackwardHooks[T]) {
				AddConvBackward(s, a, in, w, dy, dx, dw, work, hooks)
			}, sum},
			{"ReluBackwardSumConvBackward", func(dy, dx, dw []T, hooks ConvBackwardHooks[T]) {
				ReluBackwardSumConvBackward(s, y, a, in, w, dy, dx, dw, work, hooks)
			}, masked},
		} {
			for _, withFilter := range []bool{false, true} {
				for _, withGradient := range []bool{false, true} {
					dx, dw, seen := make([]T, x+1), make([]T, len(w)+1), make([]T, x+1)
					dx[x], dw[len(w)], seen[x], c.want[x], filter[len(w)] = 42, 42, 42, 42, 42
					calls := make([]int, s.N)
					hooks := ConvBackwardHooks[T]{After: func(n int, img []T) {
						calls[n]++ // each image from one goroutine
						copy(seen[n*len(img):], img)
					}}
					grads := dy
					if withGradient { // dy comes from the hook; the argument is NaN unless written whole
						grads = make([]T, len(dy))
						for i := range grads {
							grads[i] = T(math.NaN())
						}
						hooks.OutputGradient = func(n int, dst []T) { copy(dst, dy[n*kp:(n+1)*kp]) }
					}
					if withFilter {
						c.run(grads, dx[:x], dw[:len(w)], hooks)
						expectIdentical(t, fmt.Sprint(c.name, " dw ", s), dw, filter)
					} else {
						c.run(grads, dx[:x], nil, hooks)
					}
					what := fmt.Sprint(c.name, " ", s, " with dw ", withFilter, ", dy by images ", withGradient)
					expectIdentical(t, "dx of "+what, dx, c.want)
					expectIdentical(t, "images after of "+what, seen, c.want)
					for n, k := range calls {
						if k != 1 {
							t.Fatalf("%s: image %d seen %d times", what, n, k)
						}
					}
					if withGradient && !math.IsNaN(float64(grads[0])) {
						expectIdentical(t, "dy written whole for "+what, grads, dy)
					}
				}
			}
		}
	}
}

// Conv2DBackwardFilterImages is Conv2DBackwardFilter, bit for bit, with the
// output gradients from its hook (the dy argument NaN, written whole only
// where the pass does not run by images): on the implicit filter pass's
// kernels (3 channels on the reducing one, as ResNet-8's stem), on shift
// planes (groups of one image and of several, a short last one, one
// channel on the reducing kernel as LeNet's conv1, 8 on the GEMM), by
// Winograd (dy written whole) and on im2col's.
func TestConvBackwardFilterImagesMatchesPass(t *testing.T) {
	testConvBackwardFilterImages[float32](t)
	testConvBackwardFilterImages[float64](t)
}

func testConvBackwardFilterImages[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 65))
	for _, s := range []ConvShape{
		{N: 6, C: 3, H: 16, W: 16, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 5, C: 16, H: 16, W: 16, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 3, C: 4, H: 8, W: 8, K: 6, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 3, C: 1, H: 28, W: 28, K: 8, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{N: 8, C: 1, H: 12, W: 8, K: 8, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		{N: 8, C: 8, H: 12, W: 8, K: 16, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
		convWinogradShapes[0],
	} {
		x := asType[T](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
		dy := asType[T](uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1))
		want := make([]T, s.K*s.C*s.R*s.S)
		Conv2DBackwardFilter(s, x, dy, want, make([]T, Conv2DWorkspace(s)))
		grads := make([]T, len(dy))
		for i := range grads {
			grads[i] = T(math.NaN())
		}
		kp := s.K * s.OutH() * s.OutW()
		got := make([]T, len(want))
		Conv2DBackwardFilterImages(s, x, grads, got, make([]T, ConvFilterImagesWorkspace(s)), func(n int, dst []T) {
			copy(dst, dy[n*kp:(n+1)*kp])
		})
		expectIdentical(t, fmt.Sprint("dw of ", s), got, want)
		if byImages, want := math.IsNaN(float64(grads[0])), implicitFilter[T](s) || shiftFilterImages[T](s); byImages != want {
			t.Errorf("%v: dy left unwritten %t, pass by images %t", s, byImages, want)
		}
	}
}
