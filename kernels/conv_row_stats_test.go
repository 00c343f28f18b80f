package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Conv2DForwardRowStats computes Conv2DForward's output and, combined by
// BatchNormStatsFromRows, BatchNormStats of it bit for bit, whether the rows
// are summed image by image (implicit GEMMs), by groups of images (shift
// planes, im2col) or after the convolution (depthwise, deep); LeNet's conv2
// shape on shift planes in groups of three images, the last one short.
func TestConvForwardRowStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 65))
	lenet2 := ConvShape{N: 7, C: 4, H: 12, W: 12, K: 8, R: 5, S: 5, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1}
	if !shiftConv(lenet2) && implicitDirect(sgemmArch) {
		t.Fatalf("%v does not run on shift planes", lenet2)
	}
	for _, s := range append(convTestShapes, lenet2) {
		if s.groups() > 1 {
			continue
		}
		c := newConvCase(rng, s)
		x, w := asType[float32](c.x), asType[float32](c.w)
		work := make([]float32, Conv2DWorkspace(s))
		want, got := make([]float32, len(c.g)), make([]float32, len(c.g))
		Conv2DForward(s, x, w, nil, want, work)
		rows := make([]float64, RowStatsLen(s.N, s.K))
		Conv2DForwardRowStats(s, x, w, nil, got, work, rows)
		expectIdentical(t, fmt.Sprint(s, " y"), got, want)
		mean, variance := make([]float32, s.K), make([]float32, s.K)
		wantMean, wantVar := make([]float32, s.K), make([]float32, s.K)
		l := s.OutH() * s.OutW()
		if l == 1 {
			continue // BatchNormStats takes N×C inputs column by column
		}
		BatchNormStatsFromRows(s.N, s.K, l, rows, mean, variance)
		BatchNormStats(s.N, s.K, l, want, wantMean, wantVar)
		expectIdentical(t, fmt.Sprint(s, " mean"), mean, wantMean)
		expectIdentical(t, fmt.Sprint(s, " variance"), variance, wantVar)
	}
}
