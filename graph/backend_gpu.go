//go:build gpu

package graph

import (
	"errors"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/ptx"
)

// CUDA is the GPU Backend: every step of a Program runs as the CUDA twin of its
// kernel (the embedded PTX of kernels/*.cu, cuBLAS for the GEMMs) on one
// stream; from its second run on, each program's launches are replayed as a
// CUDA graph. See backend_device.go for memory and transfers.
type CUDA struct {
	*deviceBackend
	Runtime *cuda.Runtime // its BLAS has SetTF32
}

// NewCUDA opens GPU ordinal for the float32 model m: it loads the kernels and
// cuBLAS and creates a stream.
func NewCUDA(m *Model, ordinal int) (*CUDA, error) {
	rt, err := cuda.NewRuntime(ordinal, ptx.Module)
	if err != nil {
		return nil, err
	}
	b, err := newDeviceBackend(rt, m)
	if err != nil {
		return nil, errors.Join(err, rt.Close())
	}
	return &CUDA{deviceBackend: b, Runtime: rt}, nil
}

// SetTF32 lets the matrix products (linear layers, convolutions) use TF32
// tensor cores: 10-bit mantissa products, float32 sums, as PyTorch does for
// its convolutions by default on the GPU.
// Programs already captured are captured again on their next run.
func (c *CUDA) SetTF32(on bool) error {
	if err := c.Runtime.BLAS.SetTF32(on); err != nil {
		return err
	}
	c.forgetGraphs()
	return nil
}

// Close frees the device memory and releases the stream, cuBLAS, the kernels
// and the device.
func (c *CUDA) Close() error {
	return errors.Join(c.deviceBackend.Close(), c.Runtime.Close())
}
