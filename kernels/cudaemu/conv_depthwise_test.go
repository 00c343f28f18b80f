package cudaemu

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

var depthwiseShapes = []kernels.ConvShape{
	{N: 2, C: 3, H: 7, W: 6, K: 3, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 3},
	{N: 3, C: 4, H: 9, W: 8, K: 4, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 4},
	{N: 1, C: 2, H: 8, W: 9, K: 6, R: 3, S: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 0, DilationH: 2, DilationW: 1, Groups: 2}, // multiplier 3, dilated
	{N: 2, C: 5, H: 5, W: 5, K: 5, R: 5, S: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilationH: 1, DilationW: 1, Groups: 5},
}

func TestDepthwiseConvolution(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, s := range depthwiseShapes {
		if err := s.Validate(); err != nil || !s.Depthwise() {
			t.Fatalf("%+v: depthwise %t, %v", s, s.Depthwise(), err)
		}
		xn, wn, yn := s.N*s.C*s.H*s.W, s.K*s.R*s.S, s.N*s.K*s.OutH()*s.OutW()
		x, w, bias, dy := random(r, xn, 1), random(r, wn, 1), random(r, s.K, 1), random(r, yn, 1)
		px, pw, pb, pdy := d.from(x), d.from(w), d.from(bias), d.from(dy)
		py, pdx, pdw := d.alloc(yn), d.alloc(xn), d.alloc(wn)

		y, dx, dw := make([]float32, yn), make([]float32, xn), make([]float32, wn)
		kernels.DepthwiseConv2DForward(s, x, w, bias, y)
		d.run(launch.DepthwiseConv2DForward(s, px, pw, pb, py))
		exact(t, name("DepthwiseConv2DForward %+v", s), d.get(py, yn), y)

		kernels.DepthwiseConv2DForward(s, x, w, nil, y)
		d.run(launch.DepthwiseConv2DForward(s, px, pw, 0, py))
		exact(t, name("DepthwiseConv2DForward without bias %+v", s), d.get(py, yn), y)

		kernels.DepthwiseConv2DBackwardData(s, w, dy, dx)
		d.run(launch.DepthwiseConv2DBackwardData(s, pw, pdy, pdx))
		exact(t, name("DepthwiseConv2DBackwardData %+v", s), d.get(pdx, xn), dx)

		// Both sum in float64, in different orders.
		kernels.DepthwiseConv2DBackwardFilter(s, x, dy, dw)
		d.run(launch.DepthwiseConv2DBackwardFilter(s, px, pdy, pdw))
		near(t, name("DepthwiseConv2DBackwardFilter %+v", s), d.get(pdw, wn), dw, 1e-6)

		// The convolution entry points dispatch to the depthwise kernels.
		if err := launch.Conv2DForward(d.emu, s, 1, px, pw, pb, py, 0); err != nil {
			t.Fatal(err)
		}
		kernels.Conv2DForward(s, x, w, bias, y, nil)
		exact(t, name("Conv2DForward depthwise %+v", s), d.get(py, yn), y)
	}
}
