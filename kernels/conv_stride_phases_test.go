package kernels

import "testing"

// convStridedShapes run their backward data pass by stride phases
// (stridedBackwardData), the 1×1 ones also their forward and backward filter
// passes as implicit GEMMs: ResNet's shortcuts and 3×3s of stride 2 with
// row tiles of 16 and 8 columns, odd sizes, batch 1, larger filters and
// strides, phases of different widths, a stride along one axis only.
var convStridedShapes = []ConvShape{
	{N: 1, C: 16, H: 32, W: 32, K: 32, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
	{N: 3, C: 8, H: 16, W: 16, K: 16, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 9, W: 7, K: 8, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 8, W: 16, K: 8, R: 1, S: 1, StrideH: 2, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 1, C: 8, H: 32, W: 32, K: 8, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 3, C: 16, H: 16, W: 16, K: 16, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 15, W: 17, K: 8, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 11, W: 13, K: 9, R: 5, S: 5, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2, DilationH: 1, DilationW: 1},
	{N: 2, C: 8, H: 10, W: 10, K: 8, R: 3, S: 3, StrideH: 3, StrideW: 3, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 1, C: 9, H: 12, W: 11, K: 12, R: 4, S: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 0, DilationH: 1, DilationW: 1},
}

func TestConvStridedShapes(t *testing.T) {
	for _, s := range convStridedShapes {
		point := s.R == 1 && s.S == 1
		if !stridedData(s) || point && (!implicitConv(s) || !implicitFilter[float64](s)) {
			t.Errorf("%v: by phases %t, implicit forward %t, backward filter %t", s, stridedData(s), implicitConv(s), implicitFilter[float64](s))
		}
	}
	// Many channels (ResNet-18's stride-2 3×3 and shortcut) keep im2col.
	for _, s := range []ConvShape{
		{N: 32, C: 64, H: 56, W: 56, K: 128, R: 3, S: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
		{N: 32, C: 64, H: 56, W: 56, K: 128, R: 1, S: 1, StrideH: 2, StrideW: 2, DilationH: 1, DilationW: 1},
	} {
		if stridedData(s) || s.R == 1 && (implicitConv(s) || implicitFilter[float32](s)) {
			t.Errorf("%v: by phases %t, implicit forward %t, backward filter %t", s, stridedData(s), implicitConv(s), implicitFilter[float32](s))
		}
	}
}

func TestConvStridedMatchesNaiveFloat64(t *testing.T) {
	testConvMatchesNaive[float64](t, convStridedShapes)
}

func TestConvStridedMatchesNaiveFloat32(t *testing.T) {
	testConvMatchesNaive[float32](t, convStridedShapes)
}

// strideAxes splits an axis into phases that cover every input once, with
// the taps that reach them.
func TestStrideAxes(t *testing.T) {
	for _, c := range []struct{ in, k, stride, pad int }{
		{32, 3, 2, 1}, {32, 1, 2, 0}, {9, 1, 2, 0}, {15, 3, 2, 1}, {11, 5, 2, 2}, {10, 3, 3, 1}, {12, 4, 2, 2}, {11, 2, 3, 0}, {7, 7, 2, 3},
	} {
		out := slidingOut(c.in, c.k, c.stride, c.pad, 1)
		axes, before, after := strideAxes(c.in, out, c.k, c.stride, c.pad)
		seen := make([]int, c.in)
		for rho, a := range axes {
			for m := 0; m < a.n; m++ {
				h := a.first + m*c.stride
				seen[h]++
				if (h+c.pad)%c.stride != rho {
					t.Errorf("%+v: phase %d holds input %d", c, rho, h)
				}
			}
			if want := max(0, (c.k-1-rho)/c.stride+1); rho >= c.k && a.taps != 0 || rho < c.k && a.taps != want {
				t.Errorf("%+v: phase %d has %d taps", c, rho, a.taps)
			}
			if a.taps > 0 && a.n > 0 && (a.start < 0 || a.start+a.n+a.taps-1 > before+out+after) {
				t.Errorf("%+v: phase %d's windows leave the padded plane", c, rho)
			}
		}
		for h, n := range seen {
			if n != 1 {
				t.Errorf("%+v: input %d in %d phases", c, h, n)
			}
		}
	}
}
