package cudaemu

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// TestGemmMapping checks launch.Gemm's row-major GEMM, mapped onto the
// emulator's column-major cuBLAS semantics, against kernels.Gemm.
func TestGemmMapping(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(11, 12))
	const m, n, k = 5, 7, 3
	for _, ta := range []bool{false, true} {
		for _, tb := range []bool{false, true} {
			rowsA, colsA := m, k
			if ta {
				rowsA, colsA = k, m
			}
			rowsB, colsB := k, n
			if tb {
				rowsB, colsB = n, k
			}
			lda, ldb, ldc := colsA+2, colsB+1, n+3 // strides wider than the rows
			a, b, c := random(r, rowsA*lda, 1), random(r, rowsB*ldb, 1), random(r, m*ldc, 1)
			pa, pb, pc := d.from(a), d.from(b), d.from(c)
			want := append([]float32(nil), c...)
			kernels.Gemm(ta, tb, m, n, k, 1.5, a, lda, b, ldb, 0.5, want, ldc)
			if err := launch.Gemm(d.emu, ta, tb, m, n, k, 1.5, pa, lda, pb, ldb, 0.5, pc, ldc); err != nil {
				t.Fatal(err)
			}
			near(t, name("Gemm transA=%t transB=%t", ta, tb), d.get(pc, len(c)), want, 1e-5)
		}
	}
}

var convShapes = []kernels.ConvShape{
	{N: 3, C: 2, H: 6, W: 5, K: 4, R: 3, S: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1},
	{N: 2, C: 3, H: 9, W: 8, K: 2, R: 3, S: 2, StrideH: 2, StrideW: 3, PadH: 2, PadW: 0, DilationH: 2, DilationW: 1},
	{N: 4, C: 1, H: 4, W: 4, K: 3, R: 1, S: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1},
	{N: 1, C: 2, H: 7, W: 7, K: 2, R: 5, S: 5, StrideH: 2, StrideW: 2, PadH: 2, PadW: 2, DilationH: 1, DilationW: 1},
	{N: 3, C: 4, H: 7, W: 6, K: 6, R: 3, S: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 1, DilationH: 1, DilationW: 1, Groups: 2},
	{N: 2, C: 6, H: 5, W: 5, K: 3, R: 1, S: 1, StrideH: 1, StrideW: 1, DilationH: 1, DilationW: 1, Groups: 3},
}

func TestConvolution(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(13, 14))
	for _, s := range convShapes {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		xn, wn, yn := s.N*s.C*s.H*s.W, s.K*s.GroupChannels()*s.R*s.S, s.N*s.K*s.OutH()*s.OutW()
		x, w, bias, dy := random(r, xn, 1), random(r, wn, 1), random(r, s.K, 1), random(r, yn, 1)
		work := make([]float32, kernels.Conv2DWorkspace(s))
		px, pw, pb, pdy := d.from(x), d.from(w), d.from(bias), d.from(dy)
		py, pdx, pdw := d.alloc(yn), d.alloc(xn), d.alloc(wn)

		y, dx, dw := make([]float32, yn), make([]float32, xn), make([]float32, wn)
		kernels.Conv2DForward(s, x, w, bias, y, work)
		kernels.Conv2DBackwardData(s, w, dy, dx, work)
		kernels.Conv2DBackwardFilter(s, x, dy, dw, work)
		yNoBias := make([]float32, yn)
		kernels.Conv2DForward(s, x, w, nil, yNoBias, work)

		// Every group size from one image to all of them, with remainders.
		for group := 1; group <= s.N; group++ {
			pwork := d.alloc(launch.Conv2DWorkspace(s, group))
			check := func(what string, err error, got cuda.Ptr, n int, want []float32) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
				near(t, name("%s %+v group=%d", what, s, group), d.get(got, n), want, 1e-5)
			}
			check("Conv2DForward", launch.Conv2DForward(d.emu, s, group, px, pw, pb, py, pwork), py, yn, y)
			check("Conv2DForward without bias", launch.Conv2DForward(d.emu, s, group, px, pw, 0, py, pwork), py, yn, yNoBias)
			check("Conv2DBackwardData", launch.Conv2DBackwardData(d.emu, s, group, pw, pdy, pdx, pwork), pdx, xn, dx)
			check("Conv2DBackwardFilter", launch.Conv2DBackwardFilter(d.emu, s, group, px, pdy, pdw, pwork), pdw, wn, dw)
		}
	}
}

func TestBias(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(15, 16))
	for _, shape := range [][3]int{{4, 3, 1}, {2, 5, 17}, {3, 2, 700}} {
		n, c, l := shape[0], shape[1], shape[2]
		y, b := random(r, n*c*l, 1), random(r, c, 1)
		py, pb, pdb := d.from(y), d.from(b), d.alloc(c)
		db := make([]float32, c)
		kernels.BiasBackwardNCL(n, c, l, y, db)
		d.run(launch.BiasBackwardNCL(n, c, l, py, pdb))
		near(t, name("BiasBackwardNCL %v", shape), d.get(pdb, c), db, 1e-6)

		kernels.BiasAddNCL(n, c, l, b, y)
		d.run(launch.BiasAddNCL(n, c, l, pb, py))
		exact(t, name("BiasAddNCL %v", shape), d.get(py, n*c*l), y)
	}
}
