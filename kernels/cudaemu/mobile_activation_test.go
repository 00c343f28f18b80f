package cudaemu

import (
	"math/rand/v2"
	"testing"

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
	checkActivationTwins(t, d, []activationTwin{
		{"Relu6Forward", forwardLaunch(launch.Relu6Forward), forwardTwin(kernels.Relu6Forward[float32]), false},
		{"Relu6Backward", launch.Relu6Backward, kernels.Relu6Backward[float32], false},
		{"HardsigmoidForward", forwardLaunch(launch.HardsigmoidForward), forwardTwin(kernels.HardsigmoidForward[float32]), false},
		{"HardsigmoidBackward", launch.HardsigmoidBackward, kernels.HardsigmoidBackward[float32], false},
		{"HardswishForward", forwardLaunch(launch.HardswishForward), forwardTwin(kernels.HardswishForward[float32]), false},
		{"HardswishBackward", launch.HardswishBackward, kernels.HardswishBackward[float32], false},
		{"SiluForward", forwardLaunch(launch.SiluForward), forwardTwin(kernels.SiluForward[float32]), true},
		{"SiluBackward", launch.SiluBackward, kernels.SiluBackward[float32], true},
	}, func(n int) (x, dy []float32) { return withKinks(withSpecials(random(r, n, 8))), random(r, n, 2) })
}
