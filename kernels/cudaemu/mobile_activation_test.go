package cudaemu

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// withKinks overwrites a few entries of x with the points where the mobile
// activations change piece: ±3, 0 and 6.
func withKinks(x []float32) []float32 {
	for i, v := range []float32{-3, 3, 0, 6, -6} {
		if j := 3 + i*5; j < len(x) {
			x[j] = v
		}
	}
	return x
}

func TestMobileActivations(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(5, 6))
	forward := func(l func(x, y cuda.Ptr, n int) cuda.Launch) func(x, dy, out cuda.Ptr, n int) cuda.Launch {
		return func(x, _, y cuda.Ptr, n int) cuda.Launch { return l(x, y, n) }
	}
	goForward := func(fn func(x, y []float32)) func(x, dy, out []float32) {
		return func(x, _, y []float32) { fn(x, y) }
	}
	twins := []struct {
		name   string
		launch func(x, dy, out cuda.Ptr, n int) cuda.Launch
		goTwin func(x, dy, out []float32)
		ulps   bool // evaluated with exp: libm and Go may round the last bit apart
	}{
		{"Relu6Forward", forward(launch.Relu6Forward), goForward(kernels.Relu6Forward[float32]), false},
		{"Relu6Backward", launch.Relu6Backward, kernels.Relu6Backward[float32], false},
		{"HardsigmoidForward", forward(launch.HardsigmoidForward), goForward(kernels.HardsigmoidForward[float32]), false},
		{"HardsigmoidBackward", launch.HardsigmoidBackward, kernels.HardsigmoidBackward[float32], false},
		{"HardswishForward", forward(launch.HardswishForward), goForward(kernels.HardswishForward[float32]), false},
		{"HardswishBackward", launch.HardswishBackward, kernels.HardswishBackward[float32], false},
		{"SiluForward", forward(launch.SiluForward), goForward(kernels.SiluForward[float32]), true},
		{"SiluBackward", launch.SiluBackward, kernels.SiluBackward[float32], true},
	}
	for _, n := range sizes {
		x, dy := withKinks(withSpecials(random(r, n, 8))), random(r, n, 2)
		px, pdy, out := d.from(x), d.from(dy), d.alloc(n)
		for _, tw := range twins {
			want := make([]float32, n)
			tw.goTwin(x, dy, want)
			d.run(tw.launch(px, pdy, out, n))
			if tw.ulps {
				near(t, name("%s n=%d", tw.name, n), d.get(out, n), want, 1e-7)
			} else {
				exact(t, name("%s n=%d", tw.name, n), d.get(out, n), want)
			}
		}
	}
}
