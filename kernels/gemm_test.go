package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// gemmCase is one Gemm call with strided operands filled with random values.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	lda, ldb, ldc  int
	alpha, beta    float64
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,ld=%d/%d/%d,alpha=%g,beta=%g",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.lda, tc.ldb, tc.ldc, tc.alpha, tc.beta)
}

// newGemmCase pads every stride by pad elements beyond its row.
func newGemmCase(transA, transB bool, m, n, k, pad int, alpha, beta float64) gemmCase {
	tc := gemmCase{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta}
	tc.lda, tc.ldb, tc.ldc = k+pad, n+pad, n+pad
	if transA {
		tc.lda = m + pad
	}
	if transB {
		tc.ldb = k + pad
	}
	return tc
}

// sizes are the shortest slices that hold the operands, so that reading past the
// last element of an operand hits the guard page (see guardedSlice).
func (tc gemmCase) sizes() (lenA, lenB, lenC int) {
	rowsA, colsA := tc.m, tc.k
	if tc.transA {
		rowsA, colsA = tc.k, tc.m
	}
	rowsB, colsB := tc.k, tc.n
	if tc.transB {
		rowsB, colsB = tc.n, tc.k
	}
	size := func(rows, cols, ld int) int {
		if rows == 0 || cols == 0 {
			return 0
		}
		return (rows-1)*ld + cols
	}
	return size(rowsA, colsA, tc.lda), size(rowsB, colsB, tc.ldb), size(tc.m, tc.n, tc.ldc)
}

// operands draws A, B and C; the padding beyond each row is random too, so a
// kernel reading or writing it shows up.
func (tc gemmCase) operands(rng *rand.Rand) (a, b, c []float64) {
	lenA, lenB, lenC := tc.sizes()
	fill := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = rng.Float64()*2 - 1
		}
		return s
	}
	return fill(lenA), fill(lenB), fill(lenC)
}

// naiveGemm computes the expected C in float64 and, per element, the magnitude
// alpha·Σ|a·b| + |beta·c| that bounds its rounding error.
func (tc gemmCase) naiveGemm(a, b, c []float64) (want, scale []float64) {
	want = append([]float64(nil), c...)
	scale = make([]float64, len(c))
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var sum, abs float64
			for p := 0; p < tc.k; p++ {
				ia, ib := i*tc.lda+p, p*tc.ldb+j
				if tc.transA {
					ia = p*tc.lda + i
				}
				if tc.transB {
					ib = j*tc.ldb + p
				}
				av, bv := a[ia], b[ib]
				sum += av * bv
				abs += math.Abs(av * bv)
			}
			idx := i*tc.ldc + j
			cv := 0.0
			if tc.beta != 0 {
				cv = tc.beta * c[idx]
			}
			want[idx] = tc.alpha*sum + cv
			scale[idx] = math.Abs(tc.alpha)*abs + math.Abs(cv)
		}
	}
	return want, scale
}

// checkGemm compares got with want within tol·scale per element and requires the
// padding of C to be untouched.
func checkGemm[T Float](t *testing.T, tc gemmCase, got []T, want, scale, before []float64, eps float64) {
	t.Helper()
	tol := 2 * float64(tc.k+2) * eps
	for idx := range got {
		i, j := idx/tc.ldc, idx%tc.ldc
		g := float64(got[idx])
		if j >= tc.n {
			if g != float64(T(before[idx])) {
				t.Fatalf("%v: padding C[%d][%d] changed from %g to %g", tc, i, j, before[idx], g)
			}
			continue
		}
		if d := math.Abs(g - want[idx]); !(d <= tol*scale[idx]+1e-30) {
			t.Fatalf("%v: C[%d][%d] = %g, want %g (|diff| %g > %g)", tc, i, j, g, want[idx], d, tol*scale[idx])
		}
	}
}

func convert[T Float](s []float64) []T {
	out := make([]T, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out
}

// convertGuarded is convert into a guardedSlice; free releases it.
func convertGuarded[T Float](t *testing.T, s []float64) (out []T, free func()) {
	out, free = guardedSlice[T](t, len(s))
	for i, v := range s {
		out[i] = T(v)
	}
	return out, free
}

func widen[T Float](s []T) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// runGemmCase runs tc in precision T, checking against the float64 loop on the
// same (rounded) inputs. With beta == 0, C starts as NaN to prove it is not read.
func runGemmCase[T Float](t *testing.T, tc gemmCase, rng *rand.Rand, eps float64) {
	t.Helper()
	a64, b64, c64 := tc.operands(rng)
	a, freeA := convertGuarded[T](t, a64)
	defer freeA()
	b, freeB := convertGuarded[T](t, b64)
	defer freeB()
	c, freeC := convertGuarded[T](t, c64)
	defer freeC()
	if tc.beta == 0 {
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				c[i*tc.ldc+j] = T(math.NaN())
			}
		}
	}
	want, scale := tc.naiveGemm(widen(a), widen(b), widen(c))
	before := widen(c)
	Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, T(tc.alpha), a, tc.lda, b, tc.ldb, T(tc.beta), c, tc.ldc)
	checkGemm(t, tc, c, want, scale, before, eps)
}

// gemmShapes covers tiny and odd sizes, sizes around the tile and block edges
// (mr 3/6/8, widths 4/16/32/48, kc 256, nc 384 and 1024) and sizes split into
// several chunks by columns (64×130×260) or rows (520×13×300).
var gemmShapes = [][3]int{
	{1, 1, 1}, {1, 3, 17}, {3, 1, 129}, {17, 17, 3}, {3, 129, 17}, {129, 3, 1},
	{8, 48, 16}, {7, 47, 5}, {9, 49, 33}, {6, 16, 8}, {13, 33, 257},
	{16, 96, 300}, {5, 400, 20}, {129, 129, 129}, {64, 130, 260}, {200, 17, 70},
	{520, 13, 300}, {9, 1100, 7},
}

// withArch runs fn with every Gemm of arch's element type routed to arch.
func withArch[E float32 | float64](arch *gemmArch[E], fn func()) {
	switch arch := any(arch).(type) {
	case *gemmArch[float32]:
		saved := sgemmArch
		sgemmArch = arch
		defer func() { sgemmArch = saved }()
	case *gemmArch[float64]:
		saved := dgemmArch
		dgemmArch = arch
		defer func() { dgemmArch = saved }()
	}
	fn()
}

func TestGemmFloat32MatchesNaive(t *testing.T) {
	for _, arch := range sgemmArchs() {
		t.Run(arch.name, func(t *testing.T) {
			withArch(arch, func() {
				rng := rand.New(rand.NewPCG(1, 2))
				for _, s := range gemmShapes {
					for _, tr := range [4][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
						for _, ab := range [][2]float64{{1, 0}, {1, 1}, {-0.5, 2.5}} {
							pad := rng.IntN(3)
							tc := newGemmCase(tr[0], tr[1], s[0], s[1], s[2], pad, ab[0], ab[1])
							runGemmCase[float32](t, tc, rng, 0x1p-24)
						}
					}
				}
			})
		})
	}
}

func TestGemmFloat64MatchesNaive(t *testing.T) {
	for _, arch := range dgemmArchs() {
		t.Run(arch.name, func(t *testing.T) {
			withArch(arch, func() {
				rng := rand.New(rand.NewPCG(3, 4))
				for _, s := range gemmShapes {
					for _, tr := range [4][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
						for _, ab := range [][2]float64{{1, 0}, {0.75, -1.5}} {
							tc := newGemmCase(tr[0], tr[1], s[0], s[1], s[2], rng.IntN(3), ab[0], ab[1])
							runGemmCase[float64](t, tc, rng, 0x1p-53)
						}
					}
				}
			})
		})
	}
}

// A named element type goes through the same kernels.
func TestGemmNamedType(t *testing.T) {
	type celsius float32
	rng := rand.New(rand.NewPCG(5, 6))
	runGemmCase[celsius](t, newGemmCase(false, true, 19, 50, 40, 2, 1, 0.5), rng, 0x1p-24)
}

// With k == 0 or alpha == 0, C = beta·C and A, B are never read.
func TestGemmScalesOnly(t *testing.T) {
	for _, tc := range []struct {
		k           int
		alpha, beta float32
		want        float32
	}{{0, 1, 0, 0}, {0, 1, 2, 6}, {5, 0, 1, 3}, {5, 0, -1, -3}} {
		c := []float32{3, 3, 3, 3, 3, 3}
		var a, b []float32
		if tc.k > 0 {
			a = []float32{float32(math.NaN()), 1, 1, 1, 1, 1, 1, 1, 1, 1}
			b = []float32{float32(math.NaN()), 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}
		}
		Gemm(false, false, 2, 3, tc.k, tc.alpha, a, max(tc.k, 1), b, 3, tc.beta, c, 3)
		for i, v := range c {
			if v != tc.want {
				t.Errorf("k=%d alpha=%g beta=%g: C[%d] = %g, want %g", tc.k, tc.alpha, tc.beta, i, v, tc.want)
			}
		}
	}
}

func TestGemmRejectsShortOperands(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		lenA, lda, lenB, ldb int
		lenC, ldc            int
	}{
		{"lda below k", 12, 3, 20, 5, 15, 5},
		{"A too short", 11, 4, 20, 5, 15, 5},
		{"B too short", 12, 4, 19, 5, 15, 5},
		{"ldc below n", 12, 4, 20, 5, 15, 4},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Gemm did not panic", tc.name)
				}
			}()
			Gemm(false, false, 3, 5, 4, 1, make([]float32, tc.lenA), tc.lda, make([]float32, tc.lenB), tc.ldb, 0, make([]float32, tc.lenC), tc.ldc)
		}()
	}
}

// The result must not depend on the number of threads, bit for bit.
func TestGemmDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := []gemmCase{
		newGemmCase(false, false, 150, 500, 300, 0, 1, 0),
		newGemmCase(false, true, 64, 800, 520, 3, 1, 1),
		newGemmCase(true, false, 400, 200, 64, 0, 0.5, 0),
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, arch := range sgemmArchs() {
		withArch(arch, func() {
			for _, tc := range shapes {
				a64, b64, c64 := tc.operands(rng)
				a, b := convert[float32](a64), convert[float32](b64)
				var results [2][]float32
				for i, procs := range []int{1, 2} {
					runtime.GOMAXPROCS(procs)
					results[i] = convert[float32](c64)
					Gemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, float32(tc.alpha), a, tc.lda, b, tc.ldb, float32(tc.beta), results[i], tc.ldc)
				}
				for i := range results[0] {
					if math.Float32bits(results[0][i]) != math.Float32bits(results[1][i]) {
						t.Fatalf("%s %v: C[%d] is %g with 1 thread, %g with 2", arch.name, tc, i, results[0][i], results[1][i])
					}
				}
			}
		})
	}
}
