//go:build !amd64 || noasm

package kernels

// Without the assembly activations, ReLU runs its Go loops.

func reluForwardAsm[T Float](x, y []T) bool { return false }

func reluBackwardAsm[T Float](x, dy, dx []T) bool { return false }
