package layers

import (
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// A ReLU before a max pooling runs after it, on the pooled tensor: training
// is bit for bit that of the ReLU before the pooling (kept apart by nesting
// it in its own Sequential), with windows of one sign and of both, and with
// padded, overlapping windows.
func TestReLUBeforeMaxPoolRunsAfterIt(t *testing.T) {
	for _, pool := range []MaxPool2D{
		{Kernel: [2]int{2, 2}},
		{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}},
	} {
		// No bias: its gradient under a max pooling sums other elements
		// (graph's channelSumsOf), equal only up to rounding.
		conv := Conv2D{Name: "conv", In: 2, Out: 4, Kernel: [2]int{3, 3}, NoBias: true}
		head := Linear{Name: "fc", In: 4 * 4 * 4, Out: 3}
		swapped := Sequential{conv, ReLU, pool, Flatten{}, head}
		apart := Sequential{conv, Sequential{ReLU}, pool, Flatten{}, head}

		ctx, x, err := start([]int{5, 2, 10, 10}, tensor.Float32, 1)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Sequential{ReLU, pool}.Build(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		if op := y.Op().String(); !strings.Contains(op, "relu") {
			t.Fatalf("%+v: the output is %s, not the ReLU", pool, op)
		}

		shape := []int{5, 2, 10, 10}
		lossSwapped, wSwapped := trainSteps(t, swapped, shape, 3, 4)
		lossApart, wApart := trainSteps(t, apart, shape, 3, 4)
		if !slices.Equal(lossSwapped, lossApart) || !slices.Equal(wSwapped, wApart) {
			t.Errorf("%+v: losses %v and weights differ from the ReLU before the pooling: %v", pool, lossSwapped, lossApart)
		}
	}
}

// A batch norm, its ReLU and a 2×2 max pooling build one op where the planes
// are in its range (graph.BatchNormReluMaxPool), and train bit for bit as the
// three layers kept apart: an even plane, an odd one (a row and a column no
// window covers), and planes too small and too large for the fused op, which
// build the layers.
func TestBatchNormReLUMaxPoolFused(t *testing.T) {
	for _, side := range []int{16, 17, 10, 34} {
		conv := Conv2D{Name: "conv", In: 2, Out: 4, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, NoBias: true}
		bn := BatchNorm{Name: "bn", Channels: 4}
		pool := MaxPool2D{Kernel: [2]int{2, 2}}
		head := Linear{Name: "fc", In: 4 * (side / 2) * (side / 2), Out: 3}
		fused := Sequential{conv, bn, ReLU, pool, Flatten{}, head}
		apart := Sequential{conv, Sequential{bn, ReLU}, pool, Flatten{}, head}

		shape := []int{5, 2, side, side}
		ctx, x, err := start(shape, tensor.Float32, 1)
		if err != nil {
			t.Fatal(err)
		}
		y, err := Sequential{conv, bn, ReLU, pool}.Build(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		op, wantFused := y.Op().String(), side*side >= 256 && side*side <= 1024
		if strings.Contains(op, "max_pool2x2") != wantFused {
			t.Errorf("side %d: the output is %s", side, op)
		}

		lossFused, wFused := trainSteps(t, fused, shape, 3, 3)
		lossApart, wApart := trainSteps(t, apart, shape, 3, 3)
		if !slices.Equal(lossFused, lossApart) || !slices.Equal(wFused, wApart) {
			t.Errorf("side %d: losses %v and weights differ from the layers apart: %v", side, lossFused, lossApart)
		}
	}
}
