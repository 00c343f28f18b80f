//go:build amd64 && !noasm

package kernels

import "testing"

// The layer kernels' Go loops, which other CPUs and the noasm build run, pass the
// same tests as their AVX-512 versions.
func TestLayerKernelsWithoutAssembly(t *testing.T) {
	defer func(rows, act, pool bool) {
		rowsAVX512, activationAVX512, poolAVX512 = rows, act, pool
	}(rowsAVX512, activationAVX512, poolAVX512)
	rowsAVX512, activationAVX512, poolAVX512 = false, false, false
	for _, test := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"rows32", testRowKernels[float32]},
		{"rows64", testRowKernels[float64]},
		{"conv32", testConvMatchesNaive[float32]},
		{"pool32", testPoolMatchesNaive[float32]},
		{"pool_special32", testMaxPoolSpecialValues[float32]},
		{"pool_signed_zero", TestMaxPoolSignedZeroTie},
		{"activations", TestActivationsMatchDefinition},
		{"relu_nan", TestReluGradientsAtNaN},
	} {
		t.Run(test.name, test.fn)
	}
}
