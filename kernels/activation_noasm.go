//go:build !amd64 || noasm

package kernels

// Without the assembly activations, ReLU runs its Go loops.

func reluForwardAsm[T Float](x, y []T) bool { return false }

func reluBackwardAsm[T Float](x, dy, dx []T) bool { return false }

func sigmoidForwardAsm(x, y []float32) bool { return false }

func tanhForwardAsm(x, y []float32) bool { return false }

func leakyReluBackwardAsm(slope float32, x, dy, dx []float32) bool { return false }
