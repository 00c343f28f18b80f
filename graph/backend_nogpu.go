//go:build !gpu

package graph

import "github.com/descent-ml/descent/cuda"

// CUDA is the GPU Backend (see backend_gpu.go); the CPU build has none, and
// NewCUDA fails, so no CUDA value exists there. Its methods are those of the
// gpu build, so that code using them compiles in both builds.
type CUDA struct{ *deviceBackend }

// NewCUDA fails in the CPU build with cuda.ErrNoGPU: rebuild with -tags gpu.
func NewCUDA(m *Model, ordinal int) (*CUDA, error) { return nil, cuda.ErrNoGPU }

// SetTF32 fails with cuda.ErrNoGPU.
func (c *CUDA) SetTF32(on bool) error { return cuda.ErrNoGPU }

// Close fails with cuda.ErrNoGPU.
func (c *CUDA) Close() error { return cuda.ErrNoGPU }
