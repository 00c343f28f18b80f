package kernels

import (
	"math"
	"unsafe"
)

// The activations run element-wise over elementGrain chunks. Their inner loops
// avoid data-dependent branches: after a convolution the signs are close to
// random, and a mispredicted branch costs more than the whole element's work.
// The gradients of ReLU and leaky ReLU select on the input's sign bit, read
// through its IEEE-754 bit pattern.

// ReluForward sets y = max(x, 0); NaN stays NaN, as in PyTorch.
func ReluForward[T Float](x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		xs := x[lo:hi]
		ys := y[lo:hi]
		ys = ys[:len(xs)]
		for i, v := range xs {
			ys[i] = max(v, 0)
		}
	})
}

// ReluBackward sets dx = dy where x > 0 and 0 elsewhere.
func ReluBackward[T Float](x, dy, dx []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		if unsafe.Sizeof(T(0)) == 4 {
			reluBackward(asBits[int32](x[lo:hi]), asBits[int32](dy[lo:hi]), asBits[int32](dx[lo:hi]))
		} else {
			reluBackward(asBits[int64](x[lo:hi]), asBits[int64](dy[lo:hi]), asBits[int64](dx[lo:hi]))
		}
	})
}

// reluBackward works on bit patterns: b|(b−1) has the sign bit set exactly when
// b ≤ 0 as a signed integer, which is x ≤ 0 for x = +0, −0 and every negative x.
func reluBackward[S ~int32 | ~int64](x, dy, dx []S) {
	dy = dy[:len(x)]
	dx = dx[:len(x)]
	shift := unsafe.Sizeof(S(0))*8 - 1
	for i, b := range x {
		dx[i] = dy[i] &^ ((b | (b - 1)) >> shift)
	}
}

// LeakyReluForward sets y = x for x > 0 and slope·x elsewhere.
func LeakyReluForward[T Float](slope T, x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		xs := x[lo:hi]
		ys := y[lo:hi]
		ys = ys[:len(xs)]
		for i, v := range xs {
			ys[i] = max(v, 0) + slope*min(v, 0)
		}
	})
}

// LeakyReluBackward sets dx = dy for x > 0 and slope·dy elsewhere.
func LeakyReluBackward[T Float](slope T, x, dy, dx []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		if unsafe.Sizeof(T(0)) == 4 {
			leakyReluBackward(slope, asBits[int32](x[lo:hi]), dy[lo:hi], dx[lo:hi])
		} else {
			leakyReluBackward(slope, asBits[int64](x[lo:hi]), dy[lo:hi], dx[lo:hi])
		}
	})
}

// leakyReluBackward picks the factor (slope or 1) by an index computed from the
// sign test of reluBackward, so no branch depends on the data.
func leakyReluBackward[T Float, S ~int32 | ~int64](slope T, x []S, dy, dx []T) {
	dy = dy[:len(x)]
	dx = dx[:len(x)]
	factor := [2]T{slope, 1}
	shift := unsafe.Sizeof(S(0))*8 - 1
	for i, b := range x {
		positive := ((b | (b - 1)) >> shift) + 1 // 1 when x > 0, else 0
		dx[i] = dy[i] * factor[positive&1]
	}
}

// TanhForward sets y = tanh(x).
func TanhForward[T Float](x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		xs := x[lo:hi]
		ys := y[lo:hi]
		ys = ys[:len(xs)]
		for i, v := range xs {
			ys[i] = T(math.Tanh(float64(v)))
		}
	})
}

// TanhBackward sets dx = dy·(1 − y²) from the forward output y.
func TanhBackward[T Float](y, dy, dx []T) {
	ParallelFor(len(y), elementGrain, func(_, lo, hi int) {
		ys := y[lo:hi]
		dys, dxs := dy[lo:hi], dx[lo:hi]
		dys, dxs = dys[:len(ys)], dxs[:len(ys)]
		for i, v := range ys {
			dxs[i] = dys[i] * (1 - v*v)
		}
	})
}

// SigmoidForward sets y = 1/(1 + e^−x). It evaluates e^−|x|, which never
// overflows, and for x < 0 writes e^x/(1 + e^x) so that tiny outputs keep their
// relative precision instead of cancelling in 1 − σ(−x).
func SigmoidForward[T Float](x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		xs := x[lo:hi]
		ys := y[lo:hi]
		ys = ys[:len(xs)]
		for i, v := range xs {
			z := float64(v)
			e := math.Exp(-math.Abs(z))
			if z >= 0 {
				ys[i] = T(1 / (1 + e))
			} else {
				ys[i] = T(e / (1 + e))
			}
		}
	})
}

// SigmoidBackward sets dx = dy·y·(1 − y) from the forward output y.
func SigmoidBackward[T Float](y, dy, dx []T) {
	ParallelFor(len(y), elementGrain, func(_, lo, hi int) {
		ys := y[lo:hi]
		dys, dxs := dy[lo:hi], dx[lo:hi]
		dys, dxs = dys[:len(ys)], dxs[:len(ys)]
		for i, v := range ys {
			dxs[i] = dys[i] * v * (1 - v)
		}
	})
}
