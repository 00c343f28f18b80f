//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Max pooling over general windows in assembly gives the Go loops' maxima and
// gradients (bit for bit: the gradients add up in the same order) on widths
// across the 16-lane vectors, with ties, signed zeros, infinities (a plane of
// −∞ too) and NaN
// (which sends the plane to the Go loops).
func TestMaxPoolWindowsAssemblyMatchesGo(t *testing.T) {
	defer func(v bool) { poolAVX512 = v }(poolAVX512)
	rng := rand.New(rand.NewPCG(54, 55))
	var shapes []PoolShape
	for _, w := range []int{3, 16, 17, 31, 33, 34, 65, 70} {
		shapes = append(shapes,
			PoolShape{N: 2, C: 3, H: 7, W: w, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1},
			PoolShape{N: 1, C: 2, H: 6, W: w, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
			PoolShape{N: 1, C: 2, H: 9, W: w, KH: 4, KW: 2, StrideH: 3, StrideW: 2, PadH: 2, PadW: 1},
			PoolShape{N: 1, C: 1, H: 5, W: w, KH: 2, KW: 3, StrideH: 1, StrideW: 1})
	}
	for _, s := range shapes {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		for _, special := range []float64{0, math.Inf(-1), math.Inf(1), math.NaN()} {
			x := asType[float32](randomPoolInput(rng, s.N*s.C*s.H*s.W, true))
			if special != 0 {
				for i := 0; i < len(x); i += 5 + rng.IntN(40) {
					x[i] = float32(special)
				}
			}
			if math.IsInf(special, -1) { // windows of −∞ alone: the gradient goes to the first
				for i := range s.H * s.W {
					x[i] = float32(special)
				}
			}
			dy := asType[float32](uniformSlice(rng, s.N*s.C*s.OutH()*s.OutW(), -1, 1))
			var y, dx [2][]float32
			for i, useAsm := range []bool{false, true} {
				poolAVX512 = useAsm
				y[i], dx[i] = make([]float32, len(dy)), make([]float32, len(x))
				MaxPool2DForward(s, x, y[i])
				MaxPool2DBackward(s, x, dy, dx[i])
			}
			name := fmt.Sprintf("%v with %v", s, special)
			for i := range y[0] {
				if y[1][i] != y[0][i] && !(y[1][i] != y[1][i] && y[0][i] != y[0][i]) { // −0 = +0: the maxima tie
					t.Fatalf("%s: y[%d] = %v in assembly, %v in Go", name, i, y[1][i], y[0][i])
				}
			}
			expectIdentical(t, name+" dx", dx[1], dx[0])
		}
	}
}
