package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// reluShapes add rows longer than reluPiece to bnShapes: one ending in a piece
// shorter than the assembly's shortest row, one in a long piece, and an
// output large enough to be streamed (streamMinBytes in float32).
var reluShapes = append(bnShapes[:len(bnShapes):len(bnShapes)], [3]int{2, 3, reluPiece + 6}, [3]int{2, 2, 2*reluPiece + 100},
	[3]int{4, 8, streamMinBytes / 4 / 32})

// The fused batch norm + ReLU agrees with its composition, batch norm then
// ReLU (forward) and ReLU's gradient from the fused output then batch norm's
// gradient (backward), in training and evaluation: the recomputed mask is the
// forward output's.
func testBatchNormReluMatchesComposition[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(52, 53))
	rtol, atol := typeTolerance[T]()
	for _, s := range reluShapes {
		n, c, l := s[0], s[1], s[2]
		b := newBNCase(rng, n, c, l)
		x, g := asType[T](b.x), asType[T](b.g)
		gamma, beta := asType[T](b.gamma), asType[T](b.beta)
		mean, variance := make([]T, c), make([]T, c)
		BatchNormStats(n, c, l, x, mean, variance)
		for _, stats := range []struct {
			name           string
			mean, variance []T
		}{{"batch", mean, variance}, {"running", asType[T](b.runMean), asType[T](b.runVar)}} {
			name := fmt.Sprintf("%dx%dx%d %s", n, c, l, stats.name)
			p := BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: stats.mean, Variance: stats.variance, Eps: T(b.eps)}

			y, want := make([]T, len(x)), make([]T, len(x))
			BatchNormReluForward(n, c, l, x, p, y)
			BatchNormForwardEval(n, c, l, x, gamma, beta, p.Mean, p.Variance, p.Eps, want)
			ReluForward(want, want)
			expectClose(t, name+" y", y, toFloat64s(want), 1e-6, 1e-6)

			masked := make([]T, len(x))
			ReluBackward(y, g, masked)
			invStd := make([]T, c)
			for ch, v := range p.Variance {
				invStd[ch] = T(1 / math.Sqrt(float64(v)+b.eps))
			}
			dx, dgamma, dbeta := make([]T, len(x)), make([]T, c), make([]T, c)
			wantDx, wantDgamma, wantDbeta := make([]T, len(x)), make([]T, c), make([]T, c)
			BatchNormReluBackward(n, c, l, x, p, g, invStd, dx, dgamma, dbeta)
			BatchNormBackward(n, c, l, x, gamma, masked, p.Mean, invStd, wantDx, wantDgamma, wantDbeta)
			expectClose(t, name+" dgamma", dgamma, toFloat64s(wantDgamma), rtol, atol)
			expectClose(t, name+" dbeta", dbeta, toFloat64s(wantDbeta), rtol, atol)
			expectClose(t, name+" dx", dx, toFloat64s(wantDx), rtol, atol)

			fromSums := make([]T, len(x))
			BatchNormReluBackwardData(n, c, l, x, p, g, invStd, dgamma, dbeta, fromSums)
			expectClose(t, name+" dx from the sums", fromSums, toFloat64s(dx), rtol, atol)

			BatchNormReluBackwardEval(n, c, l, x, p, g, dx)
			BatchNormBackwardEval(n, c, l, gamma, p.Variance, p.Eps, masked, wantDx)
			expectClose(t, name+" dx in evaluation", dx, toFloat64s(wantDx), rtol, atol)
		}
	}
}

func TestBatchNormReluFloat32(t *testing.T) { testBatchNormReluMatchesComposition[float32](t) }
func TestBatchNormReluFloat64(t *testing.T) { testBatchNormReluMatchesComposition[float64](t) }

// The ReLU epilogues give the same bits as the sum or bias add followed by
// ReluForward, NaN and signed zeros included.
func testReluEpilogues[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(54, 55))
	for _, size := range [][2]int{{1, 1}, {3, 17}, {64, 256}, {5, 5000}} {
		n, c := size[0], size[1]
		a, b := asType[T](uniformSlice(rng, n*c, -1, 1)), asType[T](uniformSlice(rng, n*c, -1, 1))
		a[0], b[0] = T(math.NaN()), 1
		if n*c > 2 {
			a[1], b[1] = T(math.Copysign(0, -1)), 0
			a[2], b[2] = -1, 1
		}
		got, want := make([]T, n*c), make([]T, n*c)
		AddRelu(a, b, got)
		Add(a, b, want)
		ReluForward(want, want)
		expectIdentical(t, fmt.Sprint("add relu ", n*c), got, want)

		bias := b[:c]
		copy(got, a)
		copy(want, a)
		BiasAddReluRows(n, c, bias, got)
		BiasAddNCL(n, c, 1, bias, want)
		ReluForward(want, want)
		expectIdentical(t, fmt.Sprintf("bias add relu %dx%d", n, c), got, want)
	}
}

func TestReluEpiloguesFloat32(t *testing.T) { testReluEpilogues[float32](t) }
func TestReluEpiloguesFloat64(t *testing.T) { testReluEpilogues[float64](t) }

// The backward kernels recompute the ReLU's mask exactly as the forward
// computed its output, also for values that land within rounding of the kink:
// the gradient passes where the output is positive, nowhere else. Channels of
// rows of 64 (assembly where the CPU has it), 20 and 5 values (Go), each
// walking across its kink an ulp at a time.
func TestBatchNormReluMaskAtTheKink(t *testing.T) {
	rng := rand.New(rand.NewPCG(56, 57))
	const c = 64
	p := BatchNormAffine[float32]{
		Gamma: asType[float32](uniformSlice(rng, c, 0.3, 3)), Beta: asType[float32](uniformSlice(rng, c, -2, 2)),
		Mean: asType[float32](uniformSlice(rng, c, -1, 1)), Variance: asType[float32](uniformSlice(rng, c, 0.1, 4)), Eps: 1e-5,
	}
	invStd := make([]float32, c)
	for ch, v := range p.Variance {
		invStd[ch] = float32(1 / math.Sqrt(float64(v)+1e-5))
	}
	zero := make([]float32, c) // sums of 0 leave dx = γ·invStd·(masked dy)
	for _, l := range []int{64, 20, 5} {
		x, dy, y, dx := make([]float32, c*l), make([]float32, c*l), make([]float32, c*l), make([]float32, c*l)
		for ch := range c {
			mean, scale, shift := p.channel(ch)
			v := mean - shift/scale
			for range l / 2 {
				v = math.Nextafter32(v, float32(math.Inf(-1)))
			}
			for j := range l {
				x[ch*l+j], dy[ch*l+j] = v, 1
				v = math.Nextafter32(v, float32(math.Inf(1)))
			}
		}
		BatchNormReluForward(1, c, l, x, p, y)
		for _, backward := range []func(){
			func() { BatchNormReluBackwardEval(1, c, l, x, p, dy, dx) },
			func() { BatchNormReluBackwardData(1, c, l, x, p, dy, invStd, zero, zero, dx) },
		} {
			backward()
			for j := range y {
				if (y[j] > 0) != (dx[j] != 0) {
					t.Fatalf("l=%d: x=%v gives y=%v but dx=%v", l, x[j], y[j], dx[j])
				}
			}
		}
		dbeta := make([]float32, c) // Σ masked dy: the count of positive outputs
		BatchNormReluBackward(1, c, l, x, p, dy, invStd, nil, nil, dbeta)
		straddling := 0
		for ch := range c {
			positive := 0
			for _, v := range y[ch*l : (ch+1)*l] {
				if v > 0 {
					positive++
				}
			}
			if int(dbeta[ch]) != positive {
				t.Fatalf("l=%d channel %d: the gradient passed at %v values, the output is positive at %d", l, ch, dbeta[ch], positive)
			}
			if positive != 0 && positive != l {
				straddling++
			}
		}
		if straddling < c/2 {
			t.Fatalf("l=%d: only %d of %d channels cross their kink", l, straddling, c)
		}
	}
}

// The fused batch norm + residual sum + ReLU agrees with batch norm then
// AddRelu, on the batch and the running statistics.
func testBatchNormAddReluMatchesComposition[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(58, 59))
	for _, s := range reluShapes {
		n, c, l := s[0], s[1], s[2]
		b := newBNCase(rng, n, c, l)
		x, r := asType[T](b.x), asType[T](b.g)
		gamma, beta := asType[T](b.gamma), asType[T](b.beta)
		p := BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: asType[T](b.runMean), Variance: asType[T](b.runVar), Eps: T(b.eps)}
		y, want := make([]T, len(x)), make([]T, len(x))
		BatchNormAddReluForward(n, c, l, x, p, r, y)
		BatchNormForwardEval(n, c, l, x, gamma, beta, p.Mean, p.Variance, p.Eps, want)
		AddRelu(want, r, want)
		expectClose(t, fmt.Sprintf("%dx%dx%d y", n, c, l), y, toFloat64s(want), 1e-6, 1e-6)
	}
}

func TestBatchNormAddReluFloat32(t *testing.T) { testBatchNormAddReluMatchesComposition[float32](t) }
func TestBatchNormAddReluFloat64(t *testing.T) { testBatchNormAddReluMatchesComposition[float64](t) }

// The fused batch norm + batch norm of the shortcut + sum + ReLU agrees with
// the two batch norms then AddRelu.
func testBatchNormAddBatchNormReluMatchesComposition[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(68, 69))
	for _, s := range reluShapes {
		n, c, l := s[0], s[1], s[2]
		b, sb := newBNCase(rng, n, c, l), newBNCase(rng, n, c, l)
		x, r := asType[T](b.x), asType[T](sb.x)
		p := BatchNormAffine[T]{Gamma: asType[T](b.gamma), Beta: asType[T](b.beta), Mean: asType[T](b.runMean), Variance: asType[T](b.runVar), Eps: T(b.eps)}
		q := BatchNormAffine[T]{Gamma: asType[T](sb.gamma), Beta: asType[T](sb.beta), Mean: asType[T](sb.runMean), Variance: asType[T](sb.runVar), Eps: T(sb.eps)}
		y, want, rn := make([]T, len(x)), make([]T, len(x)), make([]T, len(x))
		BatchNormAddBatchNormReluForward(n, c, l, x, p, r, q, y)
		BatchNormForwardEval(n, c, l, x, p.Gamma, p.Beta, p.Mean, p.Variance, p.Eps, want)
		BatchNormForwardEval(n, c, l, r, q.Gamma, q.Beta, q.Mean, q.Variance, q.Eps, rn)
		AddRelu(want, rn, want)
		expectClose(t, fmt.Sprintf("%dx%dx%d y", n, c, l), y, toFloat64s(want), 1e-6, 1e-5)
	}
}

func TestBatchNormAddBatchNormReluFloat32(t *testing.T) {
	testBatchNormAddBatchNormReluMatchesComposition[float32](t)
}
func TestBatchNormAddBatchNormReluFloat64(t *testing.T) {
	testBatchNormAddBatchNormReluMatchesComposition[float64](t)
}
