package launch

import "github.com/descent-ml/descent/cuda"

// The activations of mobile networks (mobile_activation.cu), each over n
// elements.

func Relu6Forward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("Relu6Forward", n, p(x), p(y), i(n))
}
func Relu6Backward(x, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("Relu6Backward", n, p(x), p(dy), p(dx), i(n))
}
func HardsigmoidForward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("HardsigmoidForward", n, p(x), p(y), i(n))
}
func HardsigmoidBackward(x, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("HardsigmoidBackward", n, p(x), p(dy), p(dx), i(n))
}
func HardswishForward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("HardswishForward", n, p(x), p(y), i(n))
}
func HardswishBackward(x, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("HardswishBackward", n, p(x), p(dy), p(dx), i(n))
}
func SiluForward(x, y cuda.Ptr, n int) cuda.Launch {
	return elementwise("SiluForward", n, p(x), p(y), i(n))
}
func SiluBackward(x, dy, dx cuda.Ptr, n int) cuda.Launch {
	return elementwise("SiluBackward", n, p(x), p(dy), p(dx), i(n))
}
