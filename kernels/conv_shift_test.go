package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convShiftShapes run on shift planes where the CPU has the direct AVX-512
// kernels, with more groups of images than lanes (lanes sum several groups):
// LeNet's two convolutions (one image a group; 800 taps in four k blocks,
// three images a group and a short last one), filters over several
// micro-kernel rows and channels not a whole number of them, and fewer than
// 8 channels in groups of many images for the reducing filter kernel.
var convShiftShapes = []ConvShape{
	{N: 6, C: 1, H: 28, W: 28, K: 32, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 14, C: 32, H: 12, W: 12, K: 64, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 16, C: 12, H: 10, W: 12, K: 24, R: 3, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 60, C: 8, H: 6, W: 8, K: 16, R: 3, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 60, C: 3, H: 6, W: 8, K: 16, R: 3, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
}

func TestConvShiftShapes(t *testing.T) {
	if !implicitDirect(sgemmArch) {
		t.Skip("no direct AVX-512 kernels")
	}
	for _, s := range convShiftShapes {
		if !shiftConv(s) || !shiftFilter(s) || implicitConv(s) || implicitFilter[float32](s) || deepConv(s) {
			t.Errorf("%v: shift forward %t, backward filter %t, implicit %t", s, shiftConv(s), shiftFilter(s), implicitConv(s))
		}
	}
	// Padding, strides, filter counts that are not whole micro-kernel rows,
	// 1×1 filters and planes beyond shiftMaxPlanes keep the other paths.
	pointwise := ConvShape{N: 2, C: 16, H: 8, W: 8, K: 16, R: 1, S: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	large := ConvShape{N: 2, C: 64, H: 56, W: 56, K: 64, R: 3, S: 3, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	for _, s := range []ConvShape{convTestShapes[0], convTestShapes[1], convTestShapes[3], convTestShapes[7], pointwise, large} {
		if shiftConv(s) {
			t.Errorf("%v: shift planes", s)
		}
	}
}

// The float32 passes on shift planes match the definition, with and without
// bias, whatever the workspace held, and do not depend on GOMAXPROCS.
func TestConvShiftMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 17))
	rtol, atol := typeTolerance[float32]()
	for _, s := range convShiftShapes {
		c := newConvCase(rng, s)
		terms := math.Sqrt(float64(max(s.C*s.R*s.S, s.K, s.N*s.OutH()*s.OutW())))
		for _, withBias := range []bool{true, false} {
			var bias []float64
			if withBias {
				bias = c.bias
			}
			var results [2][4][]float32
			for i, procs := range []int{1, 2} {
				atProcs(procs, func() {
					y, dx, dw, db := runConv[float32](c, withBias)
					results[i] = [4][]float32{y, dx, dw, db}
				})
			}
			name := fmt.Sprintf("%v bias=%t", s, withBias)
			expectClose(t, name+" y", results[0][0], naiveConvForward(s, c.x, c.w, bias), rtol, atol*terms)
			expectClose(t, name+" dx", results[0][1], naiveConvBackwardData(s, c.w, c.g), rtol, atol*terms)
			expectClose(t, name+" dw", results[0][2], naiveConvBackwardFilter(s, c.x, c.g), rtol, atol*terms)
			for j, part := range []string{"y", "dx", "dw", "db"} {
				expectIdentical(t, name+" "+part, results[0][j], results[1][j])
			}
		}
	}
}

// shiftCol2im matches col2im (in float64) for every filter height it takes,
// filter widths from 1 to 5, output widths up to the 16-element input rows,
// groups of images and channel groups.
func TestShiftCol2im(t *testing.T) {
	if !shiftAsm {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(18, 19))
	rtol, atol := typeTolerance[float32]()
	for _, r := range []int{1, 2, 3, 4, 5} {
		for _, sw := range []int{1, 2, 5} {
			for _, ow := range []int{1, 8, 17 - sw} {
				s := ConvShape{N: 3, C: 4, H: 7 + r, W: ow + sw - 1, K: 4, R: r, S: sw, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 2}
				if !shiftCol2imRuns[float32](s) || shiftCol2imRuns[float64](s) {
					t.Fatalf("%v: shiftCol2imRuns", s)
				}
				const n0, gn, cg = 1, 2, 1
				col := uniformSlice(rng, s.GroupChannels()*r*sw*gn*s.OutH()*s.OutW(), -1, 1)
				want := make([]float64, s.N*s.C*s.H*s.W)
				col2im(s, col, n0, gn, cg, want)
				got := make([]float32, len(want))
				shiftCol2im(s, asType[float32](col), n0, gn, cg, got)
				expectClose(t, s.String(), got, want, rtol, atol*5)
			}
		}
	}
}

// copyRowBlocks copies exactly its blocks of rows, in ymm rows (up to 8
// elements), zmm rows (up to 16) and copyRows beyond, leaving the elements
// between the rows alone.
func TestCopyRowBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for _, n := range []int{1, 7, 8, 9, 16, 17, 24} {
		const rows, blocks = 3, 4
		dstRow, dstBlock := n+2, rows*(n+2)+5
		srcRow, srcBlock := n+1, 1
		src := asType[float32](uniformSlice(rng, (blocks-1)*srcBlock+(rows-1)*srcRow+n, -1, 1))
		dst := make([]float32, (blocks-1)*dstBlock+(rows-1)*dstRow+n+3)
		want := make([]float32, len(dst))
		for i := range dst {
			dst[i], want[i] = -7, -7
		}
		for b := 0; b < blocks; b++ {
			for r := 0; r < rows; r++ {
				copy(want[b*dstBlock+r*dstRow:][:n], src[b*srcBlock+r*srcRow:])
			}
		}
		copyRowBlocks(dst, dstRow, dstBlock, src, srcRow, srcBlock, rows, n, blocks)
		expectIdentical(t, fmt.Sprintf("n=%d", n), dst, want)
	}
}
