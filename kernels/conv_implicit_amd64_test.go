//go:build amd64 && !noasm

package kernels

import (
	"math/rand/v2"
	"testing"
)

// filterTapsKernelGo is sconvFilterTapsKernelAVX512 in Go, with lda, ldc and
// ldt in elements, b indexed from two rows before B's row 0 and c from C[0][0].
func filterTapsKernelGo(steps int, a []float32, lda int, b, c []float32, ldc, ldt int) {
	for t := 0; t < 3; t++ {
		for r := 0; r < 8; r++ {
			for j := 0; j < 16; j++ {
				sum := float32(0)
				for q := 0; q < steps; q++ {
					sum += a[r*lda+q] * b[(q+2-t)*16+j]
				}
				c[t*ldt+r*ldc+j] += sum
			}
		}
	}
}

// The 3-tap filter kernel matches its Go twin (up to the order of its sums,
// FMAs in 16 lanes), for odd and even step counts and strided C, leaving the
// elements around its outputs alone.
func TestFilterTapsKernelMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(60, 61))
	for _, steps := range []int{1, 2, 7, 34} {
		lda, ldc, ldt := steps+5, 20, 8*20+3
		a := asType[float32](uniformSlice(rng, 8*lda, -1, 1))
		b := asType[float32](uniformSlice(rng, 16*(steps+2), -1, 1))
		clear(b[:32]) // the zero rows before row 0
		c := asType[float32](uniformSlice(rng, 3*ldt, -1, 1))
		want := append([]float32(nil), c...)
		filterTapsKernelGo(steps, a, lda, b, want, ldc, ldt)
		sconvFilterTapsKernelAVX512(steps, &a[0], lda, &b[32], &c[0], ldc, ldt)
		want64 := make([]float64, len(want))
		for i, v := range want {
			want64[i] = float64(v)
		}
		expectClose(t, "filter taps kernel", c, want64, 1e-5, 1e-5)
	}
}
