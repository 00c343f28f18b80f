package kernels

import (
	"math"
	"unsafe"
)

// The optimizer kernels update one parameter tensor in place, one element at a
// time, following torch.optim 1.13's single-tensor code path operation by
// operation, except where a comment says that a division or square root is
// saved by an equivalent form (equal up to rounding). Hyperparameters arrive
// as float64 and are converted to the element type once per call, as PyTorch
// converts its Python scalars; weight decay here is PyTorch's coupled
// weight_decay (the gradient gains weightDecay·w), except in AdamW. State
// slices that an option switches off are nil.

// The state that decays geometrically (momentum buffers, running averages of
// the gradient and its square) is flushed to +0 once it falls below the
// smallest normal number: where a gradient stays zero, a ReLU that never
// fires, the state would otherwise shrink into subnormals, and on many x86
// CPUs every operation on a subnormal takes a microcode assist of about a
// hundred cycles (an MLP's Adam step ran 1.4× slower after 3,000 steps). The
// values flushed are below 1.2e-38 in float32; PyTorch keeps them.

// flushSubnormal returns +0 for a subnormal or zero x, and x otherwise.
func flushSubnormal[T Float](x T) T {
	if unsafe.Sizeof(x) == 4 {
		if math.Float32bits(float32(x))&0x7f800000 == 0 {
			return 0
		}
		return x
	}
	if math.Float64bits(float64(x))&0x7ff0000000000000 == 0 {
		return 0
	}
	return x
}

// OptimGrain is the number of elements in one ParallelFor chunk of the optimizer
// kernels and reductions. A reduction's partial slice needs
// Chunks(len(x), OptimGrain) entries.
const OptimGrain = 1 << 14

// SGD applies torch.optim.SGD: d = g + weightDecay·w; with momentum,
// buf = momentum·buf + (1−dampening)·d (buf = d on the first step), and d = buf,
// or d = d + momentum·buf with Nesterov; then w −= lr·d. buf is nil without
// momentum.
func SGD[T Float](w, g, buf []T, lr, momentum, dampening, weightDecay float64, nesterov, first bool) {
	rate, mu, keep, wd := T(lr), T(momentum), T(1-dampening), T(weightDecay)
	ParallelFor(len(w), OptimGrain, func(_, lo, hi int) {
		w, g := w[lo:hi], g[lo:hi]
		if buf == nil {
			for i := range w {
				w[i] -= rate * (g[i] + wd*w[i])
			}
			return
		}
		b := buf[lo:hi]
		for i := range w {
			wi := w[i]
			d := g[i] + wd*wi
			bi := d
			if !first {
				bi = mu*b[i] + keep*d
			}
			bi = flushSubnormal(bi)
			b[i] = bi
			if nesterov {
				d += mu * bi
			} else {
				d = bi
			}
			w[i] = wi - rate*d
		}
	})
}

// Adagrad applies torch.optim.Adagrad with the step's decayed learning rate
// clr = lr/(1+(step−1)·lr_decay): d = g + weightDecay·w, sum += d²,
// w −= clr·d/(√sum + eps).
func Adagrad[T Float](w, g, sum []T, clr, weightDecay, eps float64) {
	negRate, wd, e := T(-clr), T(weightDecay), T(eps)
	ParallelFor(len(w), OptimGrain, func(_, lo, hi int) {
		w, g, s := w[lo:hi], g[lo:hi], sum[lo:hi]
		for i := range w {
			wi := w[i]
			d := g[i] + wd*wi
			si := s[i] + d*d
			s[i] = si
			w[i] = wi + negRate*d/(sqrtT(si)+e)
		}
	})
}

// Adadelta applies torch.optim.Adadelta: d = g + weightDecay·w,
// squareAvg = rho·squareAvg + (1−rho)·d², delta = √(accDelta+eps)/√(squareAvg+eps)·d,
// accDelta = rho·accDelta + (1−rho)·delta², w −= lr·delta.
func Adadelta[T Float](w, g, squareAvg, accDelta []T, lr, rho, eps, weightDecay float64) {
	rate, r, keep, e, wd := T(lr), T(rho), T(1-rho), T(eps), T(weightDecay)
	ParallelFor(len(w), OptimGrain, func(_, lo, hi int) {
		w, g, sq, acc := w[lo:hi], g[lo:hi], squareAvg[lo:hi], accDelta[lo:hi]
		for i := range w {
			wi := w[i]
			d := g[i] + wd*wi
			si := flushSubnormal(r*sq[i] + keep*d*d)
			sq[i] = si
			ai := acc[i]
			// One root of the ratio instead of PyTorch's ratio of two roots:
			// equal up to rounding, one square root cheaper.
			delta := sqrtT((ai+e)/(si+e)) * d
			acc[i] = flushSubnormal(r*ai + keep*delta*delta)
			w[i] = wi - rate*delta
		}
	})
}

// RMSProp applies torch.optim.RMSprop: d = g + weightDecay·w,
// squareAvg = alpha·squareAvg + (1−alpha)·d²; centered (gradAvg non-nil):
// gradAvg = alpha·gradAvg + (1−alpha)·d and avg = √(squareAvg − gradAvg²) + eps,
// else avg = √squareAvg + eps; with momentum (buf non-nil):
// buf = momentum·buf + d/avg and w −= lr·buf, else w −= lr·d/avg.
func RMSProp[T Float](w, g, squareAvg, gradAvg, buf []T, lr, alpha, eps, weightDecay, momentum float64) {
	rate, a, keep, e, wd, mu := T(lr), T(alpha), T(1-alpha), T(eps), T(weightDecay), T(momentum)
	ParallelFor(len(w), OptimGrain, func(_, lo, hi int) {
		w, g, sq := w[lo:hi], g[lo:hi], squareAvg[lo:hi]
		var ga, b []T
		if gradAvg != nil {
			ga = gradAvg[lo:hi]
		}
		if buf != nil {
			b = buf[lo:hi]
		}
		for i := range w {
			wi := w[i]
			d := g[i] + wd*wi
			si := flushSubnormal(a*sq[i] + keep*d*d)
			sq[i] = si
			if ga != nil {
				gi := flushSubnormal(a*ga[i] + keep*d)
				ga[i] = gi
				si -= gi * gi
			}
			step := d / (sqrtT(si) + e)
			if b != nil {
				step = flushSubnormal(step + mu*b[i])
				b[i] = step
			}
			w[i] = wi - rate*step
		}
	})
}

// Adam applies torch.optim.Adam at the given step count (1 on the first step):
// d = g + weightDecay·w, m = β1·m + (1−β1)·d, v = β2·v + (1−β2)·d²; with AMSGrad
// (vmax non-nil) vmax = max(vmax, v) replaces v below; then
// w −= lr/(1−β1^step) · m/(√v/√(1−β2^step) + eps).
func Adam[T Float](w, g, m, v, vmax []T, lr, beta1, beta2, eps, weightDecay float64, step int64) {
	adamUpdate(w, g, m, v, vmax, lr, beta1, beta2, eps, weightDecay, 1, step)
}

// AdamW applies torch.optim.AdamW: w *= 1 − lr·weightDecay (decoupled decay,
// the gradient is left alone), then Adam's moment update and step.
func AdamW[T Float](w, g, m, v, vmax []T, lr, beta1, beta2, eps, weightDecay float64, step int64) {
	adamUpdate(w, g, m, v, vmax, lr, beta1, beta2, eps, 0, 1-lr*weightDecay, step)
}

// adamUpdate is Adam with coupled decay l2 (added to the gradient) and
// decoupled decay factor shrink (multiplying w first); Adam passes shrink 1 and
// AdamW l2 0, which leave w and the gradient exactly as they are.
func adamUpdate[T Float](w, g, m, v, vmax []T, lr, beta1, beta2, eps, l2, shrink float64, step int64) {
	n := float64(step)
	bc2Sqrt := math.Sqrt(1 - math.Pow(beta2, n))
	// m/(√v/bc2Sqrt + eps) = bc2Sqrt·m/(√v + eps·bc2Sqrt): one division less per
	// element than PyTorch's order, equal up to rounding.
	negStep, epsB := T(-lr/(1-math.Pow(beta1, n))*bc2Sqrt), T(eps*bc2Sqrt)
	b1, keep1, b2, keep2 := T(beta1), T(1-beta1), T(beta2), T(1-beta2)
	wd, s := T(l2), T(shrink)
	ParallelFor(len(w), OptimGrain, func(_, lo, hi int) {
		w, g, m, v := w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]
		var vm []T
		if vmax != nil {
			vm = vmax[lo:hi]
		} else if adamAsm(w, g, m, v, s, wd, b1, keep1, b2, keep2, negStep, epsB) {
			return
		}
		for i := range w {
			wi := w[i] * s
			d := g[i] + wd*wi
			mi := flushSubnormal(b1*m[i] + keep1*d)
			vi := flushSubnormal(b2*v[i] + keep2*d*d)
			m[i], v[i] = mi, vi
			if vm != nil {
				vi = max(vm[i], vi)
				vm[i] = vi
			}
			w[i] = wi + negStep*mi/(sqrtT(vi)+epsB)
		}
	})
}

// PenaltyGrad adds the gradient of the loss penalty l1·Σ|w| + ½·l2·Σw² to g:
// g += l1·sign(w) + l2·w, with sign(0) = 0.
func PenaltyGrad[T Float](w, g []T, l1, l2 float64) {
	a, b := T(l1), T(l2)
	ParallelFor(len(w), OptimGrain, func(_, lo, hi int) {
		w, g := w[lo:hi], g[lo:hi]
		if a == 0 {
			for i := range w {
				g[i] += b * w[i]
			}
			return
		}
		for i := range w {
			wi := w[i]
			// The sign bit copied instead of comparing with 0: weights of random
			// sign would mispredict that branch half the time; exact zeros are rare.
			sign := withSignOf(a, wi)
			if wi == 0 {
				sign = 0
			}
			g[i] += sign + b*wi
		}
	})
}

// SumAbs returns Σ|x| accumulated in float64, chunk sums added in chunk order.
func SumAbs[T Float](x []T, partial []float64) float64 {
	return reduceChunks(x, partial, func(x []T) float64 {
		s := 0.0
		for _, v := range x {
			s += math.Abs(float64(v))
		}
		return s
	})
}

// SumSquares returns Σx² accumulated in float64, chunk sums added in chunk order.
func SumSquares[T Float](x []T, partial []float64) float64 {
	return reduceChunks(x, partial, func(x []T) float64 {
		// Four accumulators, so that the adds do not wait on each other.
		var s [4]float64
		i := 0
		for ; i+4 <= len(x); i += 4 {
			for k := range s {
				f := float64(x[i+k])
				s[k] += f * f
			}
		}
		for ; i < len(x); i++ {
			f := float64(x[i])
			s[0] += f * f
		}
		return (s[0] + s[1]) + (s[2] + s[3])
	})
}

// AllFinite reports whether x holds no NaN and no ±Inf.
func AllFinite[T Float](x []T, partial []float64) bool {
	// v−v is 0 for a finite v and NaN otherwise, so a chunk's sum is NaN exactly
	// when the chunk holds a non-finite value; no branch in the loop, and four
	// accumulators so that the adds do not wait on each other.
	s := reduceChunks(x, partial, func(x []T) float64 {
		if finite, ok := allFiniteAsm(x); ok {
			if finite {
				return 0
			}
			return math.NaN()
		}
		var s [4]T
		i := 0
		for ; i+4 <= len(x); i += 4 {
			for k := range s {
				s[k] += x[i+k] - x[i+k]
			}
		}
		for ; i < len(x); i++ {
			s[0] += x[i] - x[i]
		}
		return float64(s[0] + s[1] + s[2] + s[3])
	})
	return s == 0
}

// ClipScale is the scaling of clipping by global norm, as
// torch.nn.utils.clip_grad_norm_: given Σg² over all gradients (sumSquares),
// it multiplies x by maxNorm/(√sumSquares + 1e-6) when that factor is below 1
// (never when it is NaN).
func ClipScale[T Float](x []T, sumSquares, maxNorm float64) {
	coef := maxNorm / (math.Sqrt(sumSquares) + 1e-6)
	if !(coef < 1) {
		return
	}
	f := T(coef)
	ParallelFor(len(x), OptimGrain, func(_, lo, hi int) {
		x := x[lo:hi]
		for i := range x {
			x[i] *= f
		}
	})
}

// GradClamp limits x to [−limit, limit] in place.
func GradClamp[T Float](x []T, limit float64) {
	hiV := T(limit)
	ParallelFor(len(x), OptimGrain, func(_, lo, hi int) {
		x := x[lo:hi]
		for i := range x {
			x[i] = min(max(x[i], -hiV), hiV)
		}
	})
}

// reduceChunks sums f over the OptimGrain chunks of x, each chunk's value stored in
// partial and the partials added in chunk order, so the result does not depend on
// how many goroutines ran.
func reduceChunks[T Float](x []T, partial []float64, f func([]T) float64) float64 {
	chunks := Chunks(len(x), OptimGrain)
	partial = partial[:chunks]
	ParallelFor(len(x), OptimGrain, func(c, lo, hi int) {
		partial[c] = f(x[lo:hi])
	})
	total := 0.0
	for _, p := range partial {
		total += p
	}
	return total
}

func sqrtT[T Float](x T) T { return T(math.Sqrt(float64(x))) }

// withSignOf returns the non-negative mag with the sign of sign, by bit
// operations in T's own width: math.Copysign would convert a float32 to
// float64 and back, whose partial register writes chain the iterations of a
// loop together.
func withSignOf[T Float](mag, sign T) T {
	if unsafe.Sizeof(mag) == 4 {
		bits := *(*uint32)(unsafe.Pointer(&mag)) | *(*uint32)(unsafe.Pointer(&sign))&(1<<31)
		return *(*T)(unsafe.Pointer(&bits))
	}
	bits := *(*uint64)(unsafe.Pointer(&mag)) | *(*uint64)(unsafe.Pointer(&sign))&(1<<63)
	return *(*T)(unsafe.Pointer(&bits))
}
