//go:build !amd64 || noasm

package kernels

// Without the assembly loops, the optimizers run their Go loops.

func adamAsm[T Float](w, g, m, v []T, shrink, l2, b1, keep1, b2, keep2, negStep, epsB T) bool {
	return false
}

func allFiniteAsm[T Float](x []T) (finite, ok bool) { return false, false }
