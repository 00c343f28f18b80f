package cuda

import "errors"

// ErrNoGPU is what the CPU build's runtime returns.
var ErrNoGPU = errors.New("built without GPU support: rebuild with -tags gpu")
