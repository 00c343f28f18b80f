//go:build !gpu

package graph

import "github.com/descent-ml/descent/cuda"

// CUDA is the GPU Backend (see backend_gpu.go); the CPU build has none, and
// NewCUDA fails, so no CUDA value exists there.
type CUDA struct{ *deviceBackend }

// NewCUDA fails in the CPU build with cuda.ErrNoGPU: rebuild with -tags gpu.
func NewCUDA(m *Model, ordinal int) (*CUDA, error) { return nil, cuda.ErrNoGPU }
