package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// The backward filter pass over rows of taps (filterTaps) matches the naive
// gradient: planes off the transposer's 16-row steps (data past the last
// step, without padding), k blocks that end
// inside an output row, several micro-kernel rows and tiles a row of taps,
// batches over several lanes.
func TestImplicitFilterTaps(t *testing.T) {
	sq := func(n, c, h, w, k int) ConvShape {
		return ConvShape{N: n, C: c, H: h, W: w, K: k, R: 3, S: 3, StrideH: 1, StrideW: 1,
			PadH: 1, PadW: 1, DilationH: 1, DilationW: 1}
	}
	unpadded := sq(3, 16, 9, 14, 8)
	unpadded.PadH, unpadded.PadW = 0, 0
	rng := rand.New(rand.NewPCG(62, 63))
	wide := sq(3, 16, 9, 30, 24) // 5×5: a row of taps is two tiles
	wide.R, wide.S, wide.PadH, wide.PadW = 5, 5, 2, 2
	for _, s := range []ConvShape{sq(5, 16, 17, 13, 8), sq(9, 16, 20, 13, 16), wide, unpadded} {
		if !implicitDirect(sgemmArch) {
			t.Skip("no direct micro-kernels on this CPU")
		}
		if !implicitFilter[float32](s) || !filterTaps[float32](s) {
			t.Fatalf("%v: not over rows of taps", s)
		}
		c := newConvCase(rng, s)
		_, _, dw, _ := runConv[float32](c, false)
		rtol, atol := typeTolerance[float32]()
		expectClose(t, fmt.Sprint(s, " dw"), dw, naiveConvBackwardFilter(s, c.x, c.g), rtol, atol*math.Sqrt(float64(s.N*s.OutH()*s.OutW())))
	}
}
