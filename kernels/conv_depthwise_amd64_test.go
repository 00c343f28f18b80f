//go:build amd64 && !noasm

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The depthwise kernels in assembly (the filter gradient's lane sums included)
// agree with the Go loops bit for bit, signed zeros and infinities included
// (NaN as NaN, whose payload follows the operand order the compiler picks): widths across the 16-lane vectors and
// the 32 elements a stride-2 vector reads, strides 1 to 3, paddings, dilations
// and multipliers; the elements past the outputs stay untouched.
func TestDepthwiseAssemblyMatchesGo(t *testing.T) {
	defer func(v bool) { depthwiseAVX512 = v }(depthwiseAVX512)
	rng := rand.New(rand.NewPCG(52, 53))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.NaN())}
	var shapes []ConvShape
	for _, w := range []int{1, 2, 7, 15, 16, 17, 31, 32, 33, 56, 57} {
		for _, st := range []int{1, 2, 3} {
			shapes = append(shapes,
				ConvShape{N: 2, C: 3, H: 5, W: w, K: 3, R: 3, S: 3, StrideH: st, StrideW: st, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 3},
				ConvShape{N: 1, C: 2, H: 6, W: w + 4, K: 4, R: 2, S: 5, StrideH: 2, StrideW: st, PadH: 2, PadW: 3, DilationH: 2, DilationW: 1, Groups: 2},
				ConvShape{N: 1, C: 2, H: 7, W: w + 4, K: 2, R: 3, S: 3, StrideH: st, StrideW: st, PadH: 0, PadW: 2, DilationH: 1, DilationW: 2, Groups: 2})
		}
	}
	for _, s := range shapes {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		xn, wn, yn := s.N*s.C*s.H*s.W, s.K*s.R*s.S, s.N*s.K*s.OutH()*s.OutW()
		x := asType[float32](uniformSlice(rng, xn, -1, 1))
		w := asType[float32](uniformSlice(rng, wn, -1, 1))
		bias := asType[float32](uniformSlice(rng, s.K, -1, 1))
		dy := asType[float32](uniformSlice(rng, yn, -1, 1))
		finite := append([]float32(nil), x...) // the filter gradient sums every x: one NaN would hide the rest
		for i := 0; i < xn; i += 7 {
			x[i] = special[rng.IntN(len(special))]
		}
		dy[rng.IntN(yn)] = float32(math.Copysign(0, -1))
		w[rng.IntN(wn)] = float32(math.Inf(-1))
		negZeros := make([]float32, max(xn, s.K))
		for i := range negZeros {
			negZeros[i] = float32(math.Copysign(0, -1))
		}
		// An infinite dy at the edge columns of a row: the taps that do not
		// reach it keep finite gradients.
		edgy := append([]float32(nil), dy...)
		ow := s.OutW()
		row := rng.IntN(yn / ow)
		edgy[row*ow], edgy[row*ow+ow-1] = float32(math.Inf(1)), float32(math.Inf(-1))
		var y, ynb, yz, dx, dw, dwEdge [2][]float32
		for i, useAsm := range []bool{false, true} {
			depthwiseAVX512 = useAsm
			y[i], ynb[i], yz[i], dx[i] = make([]float32, yn+1), make([]float32, yn+1), make([]float32, yn+1), make([]float32, xn+1)
			y[i][yn], ynb[i][yn], yz[i][yn], dx[i][xn] = 42, 42, 42, 42
			DepthwiseConv2DForward(s, x, w, bias, y[i][:yn])
			DepthwiseConv2DForward(s, x, w, nil, ynb[i][:yn])
			// −0 sums stay −0 only where no lane adds a +0 it should skip.
			DepthwiseConv2DForward(s, negZeros[:xn], asType[float32](uniformSlice(rng, wn, 1, 2)), negZeros[:s.K], yz[i][:yn])
			DepthwiseConv2DBackwardData(s, w, dy, dx[i][:xn])
			dw[i] = make([]float32, wn+1)
			dw[i][wn] = 42
			DepthwiseConv2DBackwardFilter(s, finite, dy, dw[i][:wn])
			dwEdge[i] = make([]float32, wn)
			DepthwiseConv2DBackwardFilter(s, finite, edgy, dwEdge[i])
		}
		expectSameFloats(t, s.String()+" y", y[1], y[0])
		expectSameFloats(t, s.String()+" y without bias", ynb[1], ynb[0])
		expectSameFloats(t, s.String()+" y of −0", yz[1], yz[0])
		expectSameFloats(t, s.String()+" dx", dx[1], dx[0])
		expectSameFloats(t, s.String()+" dw", dw[1], dw[0])
		expectSameFloats(t, s.String()+" dw with infinite dy", dwEdge[1], dwEdge[0])
	}
}

// expectSameFloats fails unless a and b hold the same bits or NaN alike.
func expectSameFloats(t *testing.T, what string, a, b []float32) {
	t.Helper()
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			t.Fatalf("%s[%d]: %v (%#x) in assembly, %v (%#x) in Go", what, i, a[i], math.Float32bits(a[i]), b[i], math.Float32bits(b[i]))
		}
	}
}
