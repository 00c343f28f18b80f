//go:build amd64 && !noasm

package kernels

import (
	"math/rand/v2"
	"testing"
)

// filterTapsKernelGo is sconvFilterTapsKernelAVX512 in Go, with lda, ldc and
// ldt in elements, b indexed from two rows before B's row 0 and c from C[0][0].
func filterTapsKernelGo(rows, width, skipA, skipB int, a []float32, lda int, b, c []float32, ldc, ldt int) {
	for t := 0; t < 3; t++ {
		for r := 0; r < 8; r++ {
			for j := 0; j < 16; j++ {
				sum := float32(0)
				for row := 0; row < rows; row++ {
					for col := 0; col < width; col++ {
						qa, qb := row*(width+skipA)+col, row*(width+skipB)+col
						sum += a[r*lda+qa] * b[(qb+2-t)*16+j]
					}
				}
				c[t*ldt+r*ldc+j] += sum
			}
		}
	}
}

// The 3-tap filter kernel matches its Go twin (up to the order of its sums,
// FMAs in 16 lanes), for odd and even row widths, skips of A and of B and
// strided C, leaving the elements around its outputs alone.
func TestFilterTapsKernelMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(60, 61))
	for _, shape := range [][4]int{{1, 1, 0, 0}, {1, 2, 0, 0}, {3, 7, 2, 2}, {2, 34, 0, 0}, {4, 8, 0, 2}, {3, 5, 1, 3}, {0, 8, 0, 2}} {
		rows, width, skipA, skipB := shape[0], shape[1], shape[2], shape[3]
		steps := rows * (width + max(skipA, skipB))
		lda, ldc, ldt := steps+5, 20, 8*20+3
		a := asType[float32](uniformSlice(rng, 8*lda, -1, 1))
		b := asType[float32](uniformSlice(rng, 16*(steps+3), -1, 1))
		c := asType[float32](uniformSlice(rng, 3*ldt, -1, 1))
		want := append([]float32(nil), c...)
		filterTapsKernelGo(rows, width, skipA, skipB, a, lda, b, want, ldc, ldt)
		sconvFilterTapsKernelAVX512(rows, width, skipA, skipB, &a[0], lda, &b[32], &c[0], ldc, ldt)
		want64 := make([]float64, len(want))
		for i, v := range want {
			want64[i] = float64(v)
		}
		expectClose(t, "filter taps kernel", c, want64, 1e-5, 1e-5)
	}
}

// filterPhasesKernelGo is sconvFilterPhasesKernelAVX512 in Go, with lda,
// plane, ldc and ldt in elements, b indexed from a row before B's row 0 and
// c from C[0][0].
func filterPhasesKernelGo(steps int, a []float32, lda, plane int, b, c []float32, ldc, ldt int) {
	for t := 0; t < 3; t++ {
		for r := 0; r < 8; r++ {
			for j := 0; j < 16; j++ {
				sum := float32(0)
				for q := 0; q < steps; q++ {
					switch t {
					case 0:
						sum += a[r*lda+q] * b[(q+1)*16+j]
					case 1:
						sum += a[r*lda+plane+q] * b[(q+1)*16+j]
					case 2:
						sum += a[r*lda+q] * b[q*16+j]
					}
				}
				c[t*ldt+r*ldc+j] += sum
			}
		}
	}
}

// The stride-2 filter kernel matches its Go twin (up to the order of its
// sums), leaving the elements around its outputs alone.
func TestFilterPhasesKernelMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 63))
	for _, steps := range []int{0, 1, 2, 7, 72} {
		plane := steps + 3
		lda, ldc, ldt := 2*plane+1, 20, 8*20+3
		a := asType[float32](uniformSlice(rng, 8*lda, -1, 1))
		b := asType[float32](uniformSlice(rng, 16*(steps+2), -1, 1))
		c := asType[float32](uniformSlice(rng, 3*ldt, -1, 1))
		want := append([]float32(nil), c...)
		filterPhasesKernelGo(steps, a, lda, plane, b, want, ldc, ldt)
		sconvFilterPhasesKernelAVX512(steps, &a[0], lda, plane, &b[16], &c[0], ldc, ldt)
		want64 := make([]float64, len(want))
		for i, v := range want {
			want64[i] = float64(v)
		}
		expectClose(t, "filter phases kernel", c, want64, 1e-5, 1e-5)
	}
}
