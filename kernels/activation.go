package kernels

import (
	"math"
	"unsafe"
)

// The activations run element-wise over elementGrain chunks, ReLU in assembly
// where the CPU has AVX-512 (activation_amd64.s). The Go loops avoid
// data-dependent branches: after a convolution the signs are close to random,
// and a mispredicted branch costs more than the whole element's work. The
// gradients of ReLU and leaky ReLU select on the input's IEEE-754 bit pattern.

// ReluForward sets y = max(x, 0); NaN stays NaN, as in PyTorch.
func ReluForward[T Float](x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) { reluRow(x[lo:hi], y[lo:hi]) })
}

// reluRow is ReluForward on one goroutine; y may be x.
func reluRow[T Float](x, y []T) {
	if reluForwardAsm(x, y) {
		return
	}
	y = y[:len(x)]
	for i, v := range x {
		y[i] = max(v, 0)
	}
}

// ReluBackward sets dx = 0 where x ≤ 0 and dx = dy elsewhere, NaN included, as
// PyTorch's threshold_backward.
func ReluBackward[T Float](x, dy, dx []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) { reluBackwardRow(x[lo:hi], dy[lo:hi], dx[lo:hi]) })
}

// reluBackwardRow is ReluBackward on one goroutine; dx may be x or dy.
func reluBackwardRow[T Float](x, dy, dx []T) {
	switch {
	case reluBackwardAsm(x, dy, dx):
	case unsafe.Sizeof(T(0)) == 4:
		reluBackward(asBits[int32](x), asBits[int32](dy), asBits[int32](dx), 23)
	default:
		reluBackward(asBits[int64](x), asBits[int64](dy), asBits[int64](dx), 52)
	}
}

// reluBackward works on bit patterns with mantissa bits below the exponent:
// x ≤ 0 holds for b = +0 and for negative b down to −∞'s pattern −2^mantissa
// (the negative patterns above it are NaNs).
func reluBackward[S ~int32 | ~int64](x, dy, dx []S, mantissa int) {
	dy = dy[:len(x)]
	dx = dx[:len(x)]
	shift := unsafe.Sizeof(S(0))*8 - 1
	negInf := -(S(1) << mantissa)
	for i, b := range x {
		zero := ((b - 1) &^ b) >> shift                      // −1 when b = 0
		negative := b >> shift & ((b - negInf - 1) >> shift) // −1 when b ≤ −∞'s pattern
		dx[i] = dy[i] &^ (zero | negative)
	}
}

// LeakyReluForward sets y = x for x > 0 and slope·x elsewhere: the gradient
// kernel's factor applied to x itself.
func LeakyReluForward[T Float](slope T, x, y []T) {
	LeakyReluBackward(slope, x, x, y)
}

// LeakyReluBackward sets dx = dy for x > 0 and slope·dy elsewhere, NaN
// included, as PyTorch.
func LeakyReluBackward[T Float](slope T, x, dy, dx []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		switch {
		case unsafe.Sizeof(T(0)) == 4 && leakyReluBackwardAsm(float32(slope), asFloat32(x[lo:hi]), asFloat32(dy[lo:hi]), asFloat32(dx[lo:hi])):
		case unsafe.Sizeof(T(0)) == 4:
			leakyReluBackward(slope, asBits[int32](x[lo:hi]), dy[lo:hi], dx[lo:hi], 23)
		default:
			leakyReluBackward(slope, asBits[int64](x[lo:hi]), dy[lo:hi], dx[lo:hi], 52)
		}
	})
}

// leakyReluBackward picks the factor (slope or 1) by an index computed from the
// bit pattern b of x, so no branch depends on the data: x > 0 holds for
// 0 < b ≤ +∞'s pattern (the patterns above it are NaNs).
func leakyReluBackward[T Float, S ~int32 | ~int64](slope T, x []S, dy, dx []T, mantissa int) {
	dy = dy[:len(x)]
	dx = dx[:len(x)]
	factor := [2]T{slope, 1}
	shift := unsafe.Sizeof(S(0))*8 - 1
	inf := -(S(1) << mantissa) ^ (S(-1) << shift)
	for i, b := range x {
		positive := ^((b | (b - 1)) >> shift) &^ ((inf - b) >> shift) // −1 when x > 0
		dx[i] = dy[i] * factor[positive&1]
	}
}

// TanhForward sets y = tanh(x). float32 runs in float64 through
// expNonPositive: tanh|x| = (1 − e)/(1 + e) with e = e^−2|x|, and x itself
// below 2⁻¹² (where tanh x = x in float32 and 1 − e would cancel).
func TanhForward[T Float](x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		xs := x[lo:hi]
		ys := y[lo:hi]
		ys = ys[:len(xs)]
		if unsafe.Sizeof(T(0)) == 8 {
			for i, v := range xs {
				ys[i] = T(math.Tanh(float64(v)))
			}
			return
		}
		tanhFloat32(asFloat32(xs), asFloat32(ys))
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

// SigmoidForward sets y = 1/(1 + e^−x). It evaluates e = e^−|x|, which never
// overflows, and for x < 0 writes e/(1 + e) so that tiny outputs keep their
// relative precision instead of cancelling in 1 − σ(−x). float32 takes e from
// expNonPositive and picks the numerator (1 or e) by the sign bit: signs are
// coin flips, a branch on them would mispredict half the time.
func SigmoidForward[T Float](x, y []T) {
	ParallelFor(len(x), elementGrain, func(_, lo, hi int) {
		xs := x[lo:hi]
		ys := y[lo:hi]
		ys = ys[:len(xs)]
		if unsafe.Sizeof(T(0)) == 8 {
			for i, v := range xs {
				z := float64(v)
				e := math.Exp(-math.Abs(z))
				if z >= 0 {
					ys[i] = T(1 / (1 + e))
				} else {
					ys[i] = T(e / (1 + e))
				}
			}
			return
		}
		sigmoidFloat32(asFloat32(xs), asFloat32(ys))
	})
}

// tanhFloat32 is TanhForward's float32 loop (outside the generic function, so
// that its small calls are inlined).
func tanhFloat32(x, y []float32) {
	if tanhForwardAsm(x, y) {
		return
	}
	y = y[:len(x)]
	for i, v := range x {
		z := float64(v)
		a := math.Abs(z)
		e := expNonPositive(-2 * a)
		t := (1 - e) / (1 + e)
		if a < 0x1p-12 {
			t = a
		}
		y[i] = float32(math.Copysign(t, z))
	}
}

// sigmoidFloat32 is SigmoidForward's float32 loop (outside the generic
// function, so that its small calls are inlined).
func sigmoidFloat32(x, y []float32) {
	if sigmoidForwardAsm(x, y) {
		return
	}
	y = y[:len(x)]
	one := math.Float64bits(1)
	for i, v := range x {
		z := float64(v)
		e := expNonPositive(-math.Abs(z))
		negative := uint64(int64(math.Float64bits(z)) >> 63)
		numerator := math.Float64frombits(one&^negative | math.Float64bits(e)&negative)
		y[i] = float32(numerator / (1 + e))
	}
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
