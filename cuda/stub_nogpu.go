//go:build !gpu

package cuda

// Device is a CUDA device; the CPU build has none.
type Device struct{}

// Open fails in the CPU build: the runtime needs the gpu build tag.
func Open(ordinal int) (*Device, error) { return nil, ErrNoGPU }

// DeviceCount fails in the CPU build.
func DeviceCount() (int, error) { return 0, ErrNoGPU }
