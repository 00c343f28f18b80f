package cudaemu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

var poolShapes = []kernels.PoolShape{
	{N: 2, C: 3, H: 8, W: 8, KH: 2, KW: 2, StrideH: 2, StrideW: 2},                   // plain 2×2
	{N: 1, C: 2, H: 7, W: 9, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, // overlapping, padded
	{N: 2, C: 1, H: 5, W: 6, KH: 3, KW: 2, StrideH: 1, StrideW: 3, PadH: 1},          // stride 1 rows
	{N: 1, C: 4, H: 6, W: 6, KH: 6, KW: 6, StrideH: 6, StrideW: 6},                   // global
}

// tiedInput draws from a few values so that windows hold ties, plus a NaN.
func tiedInput(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.IntN(5)) - 2
	}
	x[n/3] = float32(math.NaN())
	return x
}

func TestPooling(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range poolShapes {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		in, out := s.N*s.C*s.H*s.W, s.N*s.C*s.OutH()*s.OutW()
		for _, x := range [][]float32{random(r, in, 1), tiedInput(r, in)} {
			dy := random(r, out, 1)
			px, pdy, py, pdx := d.from(x), d.from(dy), d.alloc(out), d.alloc(in)
			y, dx := make([]float32, out), make([]float32, in)

			kernels.MaxPool2DForward(s, x, y)
			d.run(launch.MaxPool2DForward(s, px, py))
			exact(t, name("MaxPool2DForward %+v", s), d.get(py, out), y)

			kernels.MaxPool2DBackward(s, x, dy, dx)
			d.run(launch.MaxPool2DBackward(s, px, pdy, pdx))
			exact(t, name("MaxPool2DBackward %+v", s), d.get(pdx, in), dx)

			kernels.AvgPool2DForward(s, x, y)
			d.run(launch.AvgPool2DForward(s, px, py))
			exact(t, name("AvgPool2DForward %+v", s), d.get(py, out), y)

			kernels.AvgPool2DBackward(s, dy, dx)
			d.run(launch.AvgPool2DBackward(s, pdy, pdx))
			exact(t, name("AvgPool2DBackward %+v", s), d.get(pdx, in), dx)
		}
	}
}

func TestGlobalAvgPool(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(23, 24))
	for _, shape := range [][2]int{{1, 1}, {6, 49}, {300, 7}, {5, 3136}} {
		planes, hw := shape[0], shape[1]
		x, dy := withSpecials(random(r, planes*hw, 3)), random(r, planes, 1)
		px, pdy, py, pdx := d.from(x), d.from(dy), d.alloc(planes), d.alloc(planes*hw)
		y, dx := make([]float32, planes), make([]float32, planes*hw)

		kernels.GlobalAvgPoolForward(planes, hw, x, y)
		d.run(launch.GlobalAvgPoolForward(planes, hw, px, py))
		exact(t, name("GlobalAvgPoolForward %v", shape), d.get(py, planes), y)

		kernels.GlobalAvgPoolBackward(planes, hw, dy, dx)
		d.run(launch.GlobalAvgPoolBackward(planes, hw, pdy, pdx))
		exact(t, name("GlobalAvgPoolBackward %v", shape), d.get(pdx, planes*hw), dx)
	}
}
