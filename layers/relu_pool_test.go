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
