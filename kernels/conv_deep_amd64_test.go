//go:build amd64 && !noasm

package kernels

import (
	"math/rand/v2"
	"testing"
)

// The deep path's vector im2col and col2im write exactly what im2col and
// col2im do: the same elements, and the same tap order of the sums.
func TestDeepRowKernelsMatchIm2col(t *testing.T) {
	if !rowsAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(34, 35))
	for _, s := range append(append([]ConvShape{}, convDeepShapes...), convDeepChunkShapes...) {
		if !deepRowIm2col[float32](s) || !deepRowCol2im[float32](s) {
			t.Fatalf("%v does not run the vector im2col and col2im", s)
		}
		gn := min(deepChunk(s), s.N)
		n0 := s.N - gn
		rows := s.C * s.R * s.S * gn * s.OutH() * s.OutW()
		x := asType[float32](uniformSlice(rng, s.N*s.C*s.H*s.W, -1, 1))
		dcol := asType[float32](uniformSlice(rng, rows, -1, 1))
		var cols, dxs [2][]float32
		for i, asm := range []bool{true, false} {
			func() {
				defer func(saved bool) { rowsAVX512 = saved }(rowsAVX512)
				rowsAVX512 = asm
				cols[i] = make([]float32, rows)
				fill(cols[i], 7)
				deepIm2col(s, x, n0, gn, cols[i])
				dxs[i] = make([]float32, len(x))
				fill(dxs[i], 7)
				deepCol2im(s, dcol, n0, gn, dxs[i])
			}()
		}
		expectIdentical(t, s.String()+" col", cols[0], cols[1])
		expectIdentical(t, s.String()+" dx", dxs[0], dxs[1])
	}
}
