//go:build gpu

package cudaemu

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/ptx"
)

// startTarget opens GPU 0 with the embedded PTX: with -tags gpu the twin tests
// compare the real kernels, not their emulation, with the Go twins.
func startTarget() (testTarget, func() error, error) {
	rt, err := cuda.NewRuntime(0, ptx.Module)
	if err != nil {
		return nil, nil, err
	}
	return rt, rt.Close, nil
}
