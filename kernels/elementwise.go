package kernels

import "unsafe"

// elementGrain is the chunk size of the element-wise kernels: large enough that
// handing a chunk to a goroutine costs little against its work, small enough that
// one layer's activations split across the cores.
const elementGrain = 1 << 14

// Add sets out = a + b element-wise; out may alias a or b.
func Add[T Float](a, b, out []T) {
	ParallelFor(len(out), elementGrain, func(_, lo, hi int) { addRow(a[lo:hi], b[lo:hi], out[lo:hi]) })
}

// addRow is Add on one goroutine.
func addRow[T Float](a, b, out []T) {
	if addAsm(a, b, out) {
		return
	}
	a, b = a[:len(out)], b[:len(out)]
	for i := range out {
		out[i] = a[i] + b[i]
	}
}

// ReluBackwardSum sets dx = a + b where y > 0 or NaN, else 0: ReLU's gradient
// (from its output y, as ReluBackward) of a sum of two gradients, the sum of
// a tensor read by two ops, in one pass instead of Add then ReluBackward.
func ReluBackwardSum[T Float](y, a, b, dx []T) {
	ParallelFor(len(dx), elementGrain, func(_, lo, hi int) {
		reluBackwardSumRow(y[lo:hi], a[lo:hi], b[lo:hi], dx[lo:hi])
	})
}

// reluBackwardSumRow is ReluBackwardSum on one goroutine.
func reluBackwardSumRow[T Float](y, a, b, dx []T) {
	if reluBackwardSumAsm(y, a, b, dx) {
		return
	}
	y, a, b = y[:len(dx)], a[:len(dx)], b[:len(dx)]
	for i := range dx {
		if y[i] <= 0 {
			dx[i] = 0
		} else {
			dx[i] = a[i] + b[i]
		}
	}
}

// AddTo accumulates dst += src element-wise.
func AddTo[T Float](dst, src []T) {
	ParallelFor(len(dst), elementGrain, func(_, lo, hi int) {
		addTo(dst[lo:hi], src[lo:hi])
	})
}

// addTo is AddTo on one goroutine, for the kernels that accumulate rows.
func addTo[T Float](dst, src []T) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Sum returns the sum of x, accumulated in float64 over fixed chunks that are
// added in chunk order, so the result does not depend on GOMAXPROCS.
func Sum[T Float](x []T) T {
	partial := make([]float64, Chunks(len(x), elementGrain))
	ParallelFor(len(x), elementGrain, func(c, lo, hi int) {
		partial[c] = sum64(x[lo:hi])
	})
	var s float64
	for _, p := range partial {
		s += p
	}
	return T(s)
}

// sum64 adds x in float64 with four independent accumulators (a fixed order,
// shorter dependency chains).
func sum64[T Float](x []T) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// fill sets every element of x to v, doubling a filled prefix with copy so that
// long rows are written by memmove rather than element by element.
func fill[T Float](x []T, v T) {
	if len(x) == 0 {
		return
	}
	x[0] = v
	for done := 1; done < len(x); done *= 2 {
		copy(x[done:], x[:done])
	}
}

// asBits reinterprets a float slice as the signed integers holding its IEEE-754
// bit patterns (S must have T's size), for kernels that select by sign without
// branching.
func asBits[S ~int32 | ~int64, T Float](x []T) []S {
	return unsafe.Slice((*S)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}
