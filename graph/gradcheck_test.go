package graph

import (
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Finite-difference gradient checks in float64 for every op and each attribute
// combination that takes its own code path.
func TestGradients(t *testing.T) {
	type build func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error)
	var bnWith func(shape []int, affine bool, opt BatchNormOptions) build
	x4 := func(h *opHarness, rng *rand.Rand, shape ...int) *gorgonia.Node {
		return h.arg("x", Weight, randVals(rng, ShapeSize(shape)), shape...)
	}
	grouped := func(opt ConvOptions, bias bool, c, k, r, s int) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			x := x4(h, rng, 2, c, 7, 6)
			cg := c / max(1, opt.Groups)
			w := h.arg("w", Weight, randVals(rng, k*cg*r*s), k, cg, r, s)
			var b *gorgonia.Node
			if bias {
				b = h.arg("b", Bias, randVals(rng, k), k)
			}
			return Conv2D(x, w, b, opt)
		}
	}
	conv := func(opt ConvOptions, bias bool, r, s int) build { return grouped(opt, bias, 3, 4, r, s) }
	// convPool is a convolution with bias under a max pooling, whose bias
	// gradient sums the pooling's output gradient (channelSumsOf).
	convPool := func(opt PoolOptions) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			y, err := conv(ConvOptions{Padding: [2]int{1, 1}}, true, 3, 3)(h, rng)
			if err != nil {
				return nil, err
			}
			return MaxPool2D(y, opt)
		}
	}
	pool := func(max bool, opt PoolOptions) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			x := x4(h, rng, 2, 2, 7, 6)
			if max {
				return MaxPool2D(x, opt)
			}
			return AvgPool2D(x, opt)
		}
	}
	bn := func(shape []int, affine bool) build { return bnWith(shape, affine, BatchNormOptions{}) }
	// bnArgs are a batch norm's arguments: x of the shape, γ and β when
	// affine, the running statistics.
	bnArgs := func(h *opHarness, rng *rand.Rand, shape []int, affine bool) (x, g, b, rm, rv *gorgonia.Node) {
		x = x4(h, rng, shape...)
		c := shape[1]
		if affine {
			g = h.arg("gamma", NormScale, randVals(rng, c), c)
			b = h.arg("beta", NormShift, randVals(rng, c), c)
		}
		rm = h.arg("running_mean", State, randVals(rng, c), c)
		vars := make([]float64, c)
		for i := range vars {
			vars[i] = []float64{1.5, 0.5, 2, 1}[i%4]
		}
		rv = h.arg("running_var", State, vars, c)
		return x, g, b, rm, rv
	}
	bnWith = func(shape []int, affine bool, opt BatchNormOptions) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			x, g, b, rm, rv := bnArgs(h, rng, shape, affine)
			opt.Eps, opt.Momentum = 1e-5, 0.1
			return BatchNorm(x, g, b, rm, rv, opt)
		}
	}
	// bnPool is a batch norm, its ReLU and a 2×2 max pooling, fused (on
	// planes smaller than BatchNormReluMaxPool fuses).
	bnPool := func(shape []int, affine bool) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			x, g, b, rm, rv := bnArgs(h, rng, shape, affine)
			return fusedBatchNormReluMaxPool(x, g, b, rm, rv, BatchNormOptions{Eps: 1e-5, Momentum: 0.1})
		}
	}
	// bnAdd ends a residual block: AddReLU of a batch norm and a shortcut
	// (here the shortcut first, so the batch norm is found in either place).
	bnAdd := func(affine bool) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			y, err := bnWith([]int{3, 2, 3, 4}, affine, BatchNormOptions{})(h, rng)
			if err != nil {
				return nil, err
			}
			return AddReLU(h.arg("shortcut", Weight, randVals(rng, 72), 3, 2, 3, 4), y)
		}
	}
	// twoReaders reads b's output twice: tanh(y) + y.
	twoReaders := func(b build) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			y, err := b(h, rng)
			if err != nil {
				return nil, err
			}
			t, err := Activate(y, Tanh, 0)
			if err != nil {
				return nil, err
			}
			return Add(t, y)
		}
	}
	// bnAddBn ends a residual block with a projection shortcut: AddReLU of
	// two batch norms, the shortcut's without affine transform.
	bnAddBn := func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
		y, err := bn([]int{3, 2, 3, 4}, true)(h, rng)
		if err != nil {
			return nil, err
		}
		xs := h.arg("shortcut", Weight, randVals(rng, 72), 3, 2, 3, 4)
		rm := h.arg("shortcut_running_mean", State, randVals(rng, 2), 2)
		rv := h.arg("shortcut_running_var", State, []float64{0.7, 1.3}, 2)
		short, err := BatchNorm(xs, nil, nil, rm, rv, BatchNormOptions{Eps: 1e-5, Momentum: 0.1})
		if err != nil {
			return nil, err
		}
		return AddReLU(short, y)
	}
	// convReaders reads y (2×8×6×6), a residual sum's output with relu, else
	// a tanh, with a 3×3 convolution of stride 2 and, with shortcut, a 1×1
	// one of stride 2 (a downsampling block), else a tanh: y's gradient is
	// a sum with a convolution's input gradient, computed in the same step
	// as the convolution's backward data pass, and the ReLU's gradient too.
	convReaders := func(relu, shortcut bool) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			x := x4(h, rng, 2, 8, 6, 6)
			y, err := Activate(x, Tanh, 0)
			if relu {
				y, err = AddReLU(x, h.arg("r", Weight, randVals(rng, 576), 2, 8, 6, 6))
			}
			if err != nil {
				return nil, err
			}
			w := h.arg("w", Weight, randVals(rng, 8*8*9), 8, 8, 3, 3)
			main, err := Conv2D(y, w, nil, ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
			if err != nil {
				return nil, err
			}
			var other *gorgonia.Node
			if shortcut {
				ws := h.arg("ws", Weight, randVals(rng, 64), 8, 8, 1, 1)
				other, err = Conv2D(y, ws, nil, ConvOptions{Stride: [2]int{2, 2}})
			} else if other, err = Activate(y, Tanh, 0); err == nil {
				other, err = AvgPool2D(other, PoolOptions{Kernel: [2]int{2, 2}})
			}
			if err != nil {
				return nil, err
			}
			return Add(main, other)
		}
	}
	// bnConv reads a batch norm's output (c channels of 6×6) with a 3×3
	// convolution to 8: the batch norm's output gradient is the
	// convolution's input gradient, whose step takes the batch norm's sums
	// image by image (as it computes them with 8 channels, after the pass
	// with 4).
	bnConv := func(c int, affine bool, opt BatchNormOptions) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			y, err := bnWith([]int{2, c, 6, 6}, affine, opt)(h, rng)
			if err != nil {
				return nil, err
			}
			w := h.arg("w", Weight, randVals(rng, 8*c*9), 8, c, 3, 3)
			return Conv2D(y, w, nil, ConvOptions{Padding: [2]int{1, 1}})
		}
	}
	// convBn is a 3×3 convolution of 8 channels of 6×6 (c of them, to 8)
	// under a batch norm, read by a second convolution with then: the batch
	// norm's input gradient is computed by the first convolution's backward
	// step image by image, and its sums by the second's.
	convBn := func(c int, opt BatchNormOptions, then bool) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			w := h.arg("w", Weight, randVals(rng, 8*c*9), 8, c, 3, 3)
			y, err := Conv2D(x4(h, rng, 2, c, 6, 6), w, nil, ConvOptions{Padding: [2]int{1, 1}})
			if err != nil {
				return nil, err
			}
			g := h.arg("gamma", NormScale, randVals(rng, 8), 8)
			b := h.arg("beta", NormShift, randVals(rng, 8), 8)
			rm := h.arg("running_mean", State, randVals(rng, 8), 8)
			rv := h.arg("running_var", State, []float64{1.5, 0.5, 2, 1, 1.5, 0.5, 2, 1}, 8)
			opt.Eps, opt.Momentum = 1e-5, 0.1
			if y, err = BatchNorm(y, g, b, rm, rv, opt); err != nil || !then {
				return y, err
			}
			w2 := h.arg("w2", Weight, randVals(rng, 8*8*9), 8, 8, 3, 3)
			return Conv2D(y, w2, nil, ConvOptions{Padding: [2]int{1, 1}})
		}
	}
	act := func(fn Activation) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return Activate(x4(h, rng, 3, 5), fn, 0.1)
		}
	}
	// wideAct spreads the inputs over [−12, 12] so that every piece of the
	// piecewise activations is visited.
	wideAct := func(fn Activation) build {
		return func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			v := randVals(rng, 24)
			for i := range v {
				v[i] *= 4
			}
			return Activate(h.arg("x", Weight, v, 4, 6), fn, 0)
		}
	}
	cases := []struct {
		name     string
		training bool
		build    build
	}{
		{"conv2d", true, conv(ConvOptions{}, true, 3, 3)},
		{"conv2d/no-bias", true, conv(ConvOptions{}, false, 3, 3)},
		{"conv2d-maxpool", true, convPool(PoolOptions{Kernel: [2]int{2, 2}})},
		{"conv2d-maxpool/3x3-s2-p1-overlap", true, convPool(PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})},
		{"conv2d/stride2-pad1", true, conv(ConvOptions{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true, 3, 3)},
		{"conv2d/dilation2-rect", true, conv(ConvOptions{Dilation: [2]int{2, 1}, Padding: [2]int{2, 0}, Stride: [2]int{1, 2}}, true, 2, 3)},
		{"conv2d/groups2", true, grouped(ConvOptions{Groups: 2, Padding: [2]int{1, 1}}, true, 4, 6, 3, 3)},
		{"conv2d/depthwise-stride2", true, grouped(ConvOptions{Groups: 3, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}, true, 3, 3, 3, 3)},
		{"conv2d/depthwise-multiplier2-dilated", true, grouped(ConvOptions{Groups: 2, Dilation: [2]int{2, 1}, Padding: [2]int{2, 1}}, false, 2, 4, 3, 3)},
		{"linear", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return Linear(x4(h, rng, 3, 4), h.arg("w", Weight, randVals(rng, 20), 5, 4), h.arg("b", Bias, randVals(rng, 5), 5))
		}},
		{"linear/no-bias", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return Linear(x4(h, rng, 3, 4), h.arg("w", Weight, randVals(rng, 20), 5, 4), nil)
		}},
		{"linear-relu", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return LinearReLU(x4(h, rng, 3, 4), h.arg("w", Weight, randVals(rng, 20), 5, 4), h.arg("b", Bias, randVals(rng, 5), 5))
		}},
		{"linear-relu/no-bias", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return LinearReLU(x4(h, rng, 3, 4), h.arg("w", Weight, randVals(rng, 20), 5, 4), nil)
		}},
		{"maxpool/2x2", true, pool(true, PoolOptions{Kernel: [2]int{2, 2}})},
		{"maxpool/3x3-s2-p1-overlap", true, pool(true, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})},
		{"avgpool/2x2", true, pool(false, PoolOptions{Kernel: [2]int{2, 2}})},
		{"avgpool/3x3-s1-p1", true, pool(false, PoolOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}})},
		{"global-avgpool", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return GlobalAvgPool(x4(h, rng, 2, 3, 4, 5))
		}},
		{"batchnorm2d", true, bn([]int{3, 2, 3, 4}, true)},
		{"batchnorm2d/no-affine", true, bn([]int{3, 2, 3, 4}, false)},
		{"batchnorm1d", true, bn([]int{5, 4}, true)},
		{"batchnorm2d/eval", false, bn([]int{3, 2, 3, 4}, true)},
		{"batchnorm1d/eval", false, bn([]int{5, 3}, true)},
		{"batchnorm2d-relu", true, bnWith([]int{3, 2, 3, 4}, true, BatchNormOptions{ReLU: true})},
		{"batchnorm2d-relu/no-affine", true, bnWith([]int{3, 2, 3, 4}, false, BatchNormOptions{ReLU: true})},
		{"batchnorm2d-relu/frozen", true, bnWith([]int{3, 2, 3, 4}, true, BatchNormOptions{ReLU: true, Frozen: true})},
		{"batchnorm1d-relu", true, bnWith([]int{5, 4}, true, BatchNormOptions{ReLU: true})},
		{"batchnorm2d-relu/eval", false, bnWith([]int{3, 2, 3, 4}, true, BatchNormOptions{ReLU: true})},
		{"batchnorm1d-relu/eval", false, bnWith([]int{5, 3}, true, BatchNormOptions{ReLU: true})},
		{"batchnorm2d-relu-maxpool2", true, bnPool([]int{3, 2, 4, 6}, true)},
		{"batchnorm2d-relu-maxpool2/odd-no-affine", true, bnPool([]int{3, 2, 5, 7}, false)},
		{"batchnorm2d-relu-maxpool2/eval", false, bnPool([]int{3, 2, 4, 6}, true)},
		{"dropout", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return Dropout(x4(h, rng, 4, 6), 0.4, 7)
		}},
		{"dropout/eval", false, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return Dropout(x4(h, rng, 4, 6), 0.4, 7)
		}},
		{"relu", true, act(ReLU)},
		{"leaky-relu", true, act(LeakyReLU)},
		{"tanh", true, act(Tanh)},
		{"sigmoid", true, act(Sigmoid)},
		{"relu6", true, wideAct(ReLU6)},
		{"silu", true, wideAct(SiLU)},
		{"hardswish", true, wideAct(Hardswish)},
		{"hardsigmoid", true, wideAct(Hardsigmoid)},
		{"flatten", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			return Flatten(x4(h, rng, 2, 3, 2, 2))
		}},
		{"add/shared-input", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			// x feeds both the sum and the activation: Gorgonia sums two gradients.
			x := x4(h, rng, 3, 4)
			y, err := Activate(x, Tanh, 0)
			if err != nil {
				return nil, err
			}
			return Add(x, y)
		}},
		{"add-relu/shared-input", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			x := x4(h, rng, 3, 4)
			y, err := Activate(x, Tanh, 0)
			if err != nil {
				return nil, err
			}
			return AddReLU(x, y)
		}},
		{"batchnorm2d-add-relu", true, bnAdd(true)},
		{"batchnorm2d-add-relu/no-affine", true, bnAdd(false)},
		{"batchnorm2d-add-batchnorm2d-relu", true, bnAddBn},
		{"batchnorm2d-add-batchnorm2d-relu/eval", false, bnAddBn},
		// Read twice, the output's gradient is a sum, which the ReLU's
		// gradient takes in the same step.
		{"batchnorm2d-add-relu/two-readers", true, twoReaders(bnAdd(true))},
		{"batchnorm1d-relu/two-readers", true, twoReaders(bnWith([]int{6, 3}, true, BatchNormOptions{ReLU: true}))},
		{"batchnorm2d-conv", true, bnConv(8, true, BatchNormOptions{})},
		{"batchnorm2d-conv/4-channels", true, bnConv(4, true, BatchNormOptions{})},
		{"batchnorm2d-relu-conv", true, bnConv(8, true, BatchNormOptions{ReLU: true})},
		{"batchnorm2d-relu-conv/no-affine", true, bnConv(8, false, BatchNormOptions{ReLU: true})},
		{"batchnorm2d-relu-conv/4-channels", true, bnConv(4, true, BatchNormOptions{ReLU: true})},
		{"conv2d-batchnorm2d", true, convBn(8, BatchNormOptions{}, false)},
		{"conv2d-batchnorm2d-relu", true, convBn(8, BatchNormOptions{ReLU: true}, false)},
		{"conv2d-batchnorm2d-relu-conv2d", true, convBn(8, BatchNormOptions{ReLU: true}, true)},
		{"conv2d-batchnorm2d-relu-conv2d/4-channels", true, convBn(4, BatchNormOptions{ReLU: true}, true)},
		{"add-relu/conv-and-shortcut-readers", true, convReaders(true, true)},
		{"add-relu/conv-and-tanh-readers", true, convReaders(true, false)},
		{"tanh/conv-and-shortcut-readers", true, convReaders(false, true)},
		{"tanh/conv-and-tanh-readers", true, convReaders(false, false)},
		{"mean-squared-error", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			targets := h.arg("targets", State, randVals(rng, 12), 4, 3)
			return MeanSquaredError(x4(h, rng, 4, 3), targets)
		}},
		{"softmax-cross-entropy", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			labels := h.arg("labels", State, []float64{0, 3, 2, 3}, 4)
			return SoftmaxCrossEntropy(x4(h, rng, 4, 5), labels)
		}},
		{"cross-entropy-weighted-smoothed", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			labels := h.arg("labels", State, []float64{0, 3, 2, 3}, 4)
			return CrossEntropy(x4(h, rng, 4, 5), labels, CrossEntropyOptions{LabelSmoothing: 0.2, ClassWeights: []float64{1, 0.5, 2, 3, 0.7}})
		}},
		{"cross-entropy-soft-weighted-smoothed", true, func(h *opHarness, rng *rand.Rand) (*gorgonia.Node, error) {
			probs := h.arg("targets", State, []float64{
				0.1, 0.2, 0.3, 0.4, 0, 1, 0, 0, 0, 0, 0.5, 0, 0, 0.5, 0, 0.2, 0.2, 0.2, 0.2, 0.2}, 4, 5)
			return CrossEntropy(x4(h, rng, 4, 5), probs, CrossEntropyOptions{LabelSmoothing: 0.1, ClassWeights: []float64{1, 0.5, 2, 3, 0.7}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			h := newHarness(t, tensor.Float64)
			out, err := c.build(h, rng)
			if err != nil {
				t.Fatal(err)
			}
			h.finish(out, randVals(rng, ShapeSize(out.Shape())))
			h.gradCheck(c.training, 1e-5)
		})
	}
}
