//go:build amd64 && !noasm

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// ReLU6 in assembly agrees with its Go loops bit for bit on every tail length,
// at the edges 0 and 6, signed zeros, infinities and NaN included, and leaves
// the elements past the slice alone.
func TestRelu6KernelsMatchGo(t *testing.T) {
	defer func(v bool) { activationAVX512 = v }(activationAVX512)
	rng := rand.New(rand.NewPCG(50, 51))
	nan := float32(math.NaN())
	special := []float32{0, float32(math.Copysign(0, -1)), 6, -6, nan, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.Nextafter32(6, 7), math.Nextafter32(6, 0)}
	for n := 0; n <= 40; n++ {
		x := asType[float32](uniformSlice(rng, n+1, -2, 8))
		dy := asType[float32](uniformSlice(rng, n+1, -1, 1))
		for i := 0; i < n; i += 2 {
			x[i] = special[rng.IntN(len(special))]
			if i%3 == 0 {
				dy[i] = special[rng.IntN(len(special))]
			}
		}
		var y, dx [2][]float32
		for i, useAsm := range []bool{false, true} {
			activationAVX512 = useAsm
			y[i], dx[i] = make([]float32, n+1), make([]float32, n+1)
			y[i][n], dx[i][n] = 42, 42
			Relu6Forward(x[:n], y[i][:n])
			Relu6Backward(x[:n], dy[:n], dx[i][:n])
		}
		expectIdentical(t, fmt.Sprint("n=", n, " y"), y[1], y[0])
		expectIdentical(t, fmt.Sprint("n=", n, " dx"), dx[1], dx[0])
	}
}
