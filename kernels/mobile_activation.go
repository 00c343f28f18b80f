package kernels

import (
	"math"
	"unsafe"
)

// The activations of mobile networks (MobileNetV2/V3, EfficientNet), as
// torch.nn.functional defines them. Their gradients are computed from the
// input x. Each loop is written so that the CUDA twins (mobile_activation.cu)
// can repeat it operation by operation.

// elementwise runs fn over [0, len) in elementGrain chunks in parallel.
func elementwise(n int, fn func(lo, hi int)) {
	ParallelFor(n, elementGrain, func(_, lo, hi int) { fn(lo, hi) })
}

// Relu6Forward sets y = min(max(x, 0), 6); NaN stays NaN. float32 runs in
// assembly where the CPU has AVX-512 (mobile_activation_amd64.s).
func Relu6Forward[T Float](x, y []T) {
	elementwise(len(x), func(lo, hi int) {
		xs, ys := x[lo:hi], y[lo:hi]
		if unsafe.Sizeof(T(0)) == 4 && relu6ForwardAsm(asFloat32(xs), asFloat32(ys)) {
			return
		}
		ys = ys[:len(xs)]
		for i, v := range xs {
			ys[i] = min(max(v, 0), 6)
		}
	})
}

// Relu6Backward sets dx = dy where 0 < x < 6 and 0 elsewhere (NaN included),
// as PyTorch's hardtanh_backward. float32 runs in assembly where it can.
func Relu6Backward[T Float](x, dy, dx []T) {
	elementwise(len(x), func(lo, hi int) {
		xs, dys, dxs := x[lo:hi], dy[lo:hi], dx[lo:hi]
		if unsafe.Sizeof(T(0)) == 4 && relu6BackwardAsm(asFloat32(xs), asFloat32(dys), asFloat32(dxs)) {
			return
		}
		dys, dxs = dys[:len(xs)], dxs[:len(xs)]
		for i, v := range xs {
			g := T(0)
			if v > 0 && v < 6 {
				g = dys[i]
			}
			dxs[i] = g
		}
	})
}

// HardsigmoidForward sets y = min(max(x + 3, 0), 6) / 6.
func HardsigmoidForward[T Float](x, y []T) {
	elementwise(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			y[lo+i] = min(max(v+3, 0), 6) / 6
		}
	})
}

// HardsigmoidBackward sets dx = dy·⅙ where −3 < x < 3 and 0 elsewhere, with
// ⅙ rounded to float32 as PyTorch's CPU kernel has it, in float64 too (its
// float64 results differ from dy/6 in the eighth digit).
func HardsigmoidBackward[T Float](x, dy, dx []T) {
	sixth := T(float32(1.0 / 6))
	elementwise(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			g := T(0)
			if v > -3 && v < 3 {
				g = dy[lo+i] * sixth
			}
			dx[lo+i] = g
		}
	})
}

// HardswishForward sets y = x · min(max(x + 3, 0), 6) / 6, in PyTorch's order
// of operations.
func HardswishForward[T Float](x, y []T) {
	elementwise(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			y[lo+i] = v * min(max(v+3, 0), 6) / 6
		}
	})
}

// HardswishBackward sets dx = 0 for x < −3, dy·(x/3 + ½) for −3 ≤ x ≤ 3 and
// dy above, as PyTorch's hardswish_backward.
func HardswishBackward[T Float](x, dy, dx []T) {
	elementwise(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			var g T
			switch {
			case v < -3:
				g = 0
			case v <= 3:
				g = dy[lo+i] * (v/3 + 0.5)
			default:
				g = dy[lo+i]
			}
			dx[lo+i] = g
		}
	})
}

// sigmoid64 is 1/(1 + e^−z) evaluated without overflow (see SigmoidForward).
func sigmoid64(z float64) float64 {
	e := math.Exp(-math.Abs(z))
	if z >= 0 {
		return 1 / (1 + e)
	}
	return e / (1 + e)
}

// SiluForward sets y = x·σ(x), evaluated in float64.
func SiluForward[T Float](x, y []T) {
	elementwise(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			z := float64(v)
			y[lo+i] = T(z * sigmoid64(z))
		}
	})
}

// SiluBackward sets dx = dy·σ(x)·(1 + x·(1 − σ(x))), evaluated in float64.
func SiluBackward[T Float](x, dy, dx []T) {
	elementwise(len(x), func(lo, hi int) {
		for i, v := range x[lo:hi] {
			z := float64(v)
			s := sigmoid64(z)
			dx[lo+i] = T(float64(dy[lo+i]) * (s * (1 + z*(1-s))))
		}
	})
}
