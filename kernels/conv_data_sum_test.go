package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// AddConvData and ReluBackwardSumConvData are Conv2DBackwardData then Add
// or ReluBackwardSum, bit for bit, on shapes whose images stay in a lane's
// scratch (by stride phases or implicit GEMMs, with more images than lanes)
// and on shapes that write dx first (im2col's GEMMs, depthwise), with a
// seventh of y zero.
func TestConvDataSumsMatchComposition(t *testing.T) {
	testConvDataSums[float32](t)
	testConvDataSums[float64](t)
}

func testConvDataSums[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 63))
	shapes := []ConvShape{
		{N: 6, C: 16, H: 32, W: 32, K: 32, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{N: 5, C: 16, H: 16, W: 16, K: 32, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 3, C: 8, H: 9, W: 7, K: 8, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
		{N: 6, C: 16, H: 32, W: 32, K: 16, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 3, C: 4, H: 8, W: 8, K: 6, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 2, C: 8, H: 8, W: 8, K: 8, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 8},
	}
	for i, s := range shapes {
		if got, want := stridedData(s), i < 3; got != want {
			t.Fatalf("%v: by stride phases %t, want %t", s, got, want)
		}
		if got, want := implicitBackwardData(s), i == 3; got != want {
			t.Fatalf("%v: implicit backward data %t, want %t", s, got, want)
		}
		x := s.N * s.C * s.H * s.W
		y := asType[T](uniformSlice(rng, x, -1, 1))
		a := asType[T](uniformSlice(rng, x, -1, 1))
		w := asType[T](uniformSlice(rng, s.K*s.GroupChannels()*s.R*s.S, -1, 1))
		dy := asType[T](uniformSlice(rng, s.N*s.K*s.OutH()*s.OutW(), -1, 1))
		for j := 0; j < x; j += 7 {
			y[j] = 0
		}
		conv := make([]T, x)
		Conv2DBackwardData(s, w, dy, conv, make([]T, Conv2DWorkspace(s)))
		sum, masked := make([]T, x+1), make([]T, x+1)
		Add(a, conv, sum[:x])
		ReluBackwardSum(y, a, conv, masked[:x])
		work := make([]T, ConvDataSumWorkspace(s))
		for _, c := range []struct {
			name string
			run  func(dx []T)
			want []T
		}{
			{"AddConvData", func(dx []T) { AddConvData(s, a, w, dy, dx, work) }, sum},
			{"ReluBackwardSumConvData", func(dx []T) { ReluBackwardSumConvData(s, y, a, w, dy, dx, work) }, masked},
		} {
			got := make([]T, x+1)
			got[x], c.want[x] = 42, 42
			c.run(got[:x])
			expectIdentical(t, fmt.Sprint(c.name, " ", s), got, c.want)
		}
	}
}
