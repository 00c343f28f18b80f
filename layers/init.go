package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Scheme is a weight initialization formula from PyTorch's torch.nn.init.
type Scheme int

const (
	// Default is PyTorch's own default for the layer: for Conv2d and Linear
	// weights kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in), and the same
	// bound for their biases; batch norm's γ = 1 and β = 0.
	Default Scheme = iota
	XavierUniform
	XavierNormal
	KaimingUniform
	KaimingNormal
	Zeros
	Constant
	// Normal draws from N(0, Std²) — the "naive" N(0,1) init of textbooks with Std 1.
	Normal
)

var schemeNames = map[string]Scheme{
	"default": Default, "xavier_uniform": XavierUniform, "xavier_normal": XavierNormal,
	"glorot_uniform": XavierUniform, "glorot_normal": XavierNormal,
	"kaiming_uniform": KaimingUniform, "kaiming_normal": KaimingNormal,
	"he_uniform": KaimingUniform, "he_normal": KaimingNormal,
	"zeros": Zeros, "constant": Constant, "normal": Normal,
}

// ParseScheme reads a scheme by its torch.nn.init name (xavier_uniform,
// kaiming_normal, …; glorot_* and he_* are accepted too).
func ParseScheme(s string) (Scheme, error) {
	if v, ok := schemeNames[s]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("unknown init scheme %q (want default, xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, zeros, constant or normal)", s)
}

// FanMode picks which fan Kaiming init preserves.
type FanMode int

const (
	FanIn FanMode = iota
	FanOut
)

// Init describes how to fill a weight tensor.
type Init struct {
	Scheme Scheme
	// Mode is fan_in (default) or fan_out, for Kaiming schemes.
	Mode FanMode
	// Nonlinearity selects the gain, as torch.nn.init.calculate_gain:
	// "linear", "conv2d", "sigmoid" (1), "tanh" (5/3), "relu" (√2),
	// "leaky_relu" (√(2/(1+Slope²))), "selu" (3/4). Empty means "leaky_relu"
	// for Kaiming (PyTorch's default, with Slope 0) and gain 1 for Xavier.
	Nonlinearity string
	Slope        float64 // leaky ReLU's negative slope, for the gain
	Gain         float64 // overrides the computed gain when non-zero
	Value        float64 // for Constant
	Std          float64 // for Normal (0 means 1)

	biasOf []int // for a bias: its weight's shape, which gives fan_in
}

// Gain is torch.nn.init.calculate_gain.
func Gain(nonlinearity string, slope float64) (float64, error) {
	switch nonlinearity {
	case "linear", "conv2d", "sigmoid", "identity", "":
		return 1, nil
	case "tanh":
		return 5.0 / 3, nil
	case "relu":
		return math.Sqrt2, nil
	case "leaky_relu":
		return math.Sqrt(2 / (1 + slope*slope)), nil
	case "selu":
		return 0.75, nil
	}
	return 0, fmt.Errorf("unknown nonlinearity %q for the init gain", nonlinearity)
}

// Fans returns fan_in and fan_out of a weight shape (out × in × receptive field…),
// as PyTorch computes them.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		return shape[0], shape[0]
	}
	receptive := 1
	for _, d := range shape[2:] {
		receptive *= d
	}
	return shape[1] * receptive, shape[0] * receptive
}

// Fill writes values drawn by the scheme into w, a weight of the given shape.
func (in Init) Fill(w []float64, shape []int, rng *rand.Rand) error {
	if in.biasOf != nil {
		shape = in.biasOf
	}
	fanIn, fanOut := Fans(shape)
	gain := in.Gain
	var err error
	switch in.Scheme {
	case Default:
		return uniform(w, 1/math.Sqrt(float64(fanIn)), rng)
	case XavierUniform, XavierNormal:
		if gain == 0 {
			if gain, err = Gain(in.Nonlinearity, in.Slope); err != nil {
				return err
			}
		}
		std := gain * math.Sqrt(2/float64(fanIn+fanOut))
		if in.Scheme == XavierUniform {
			return uniform(w, math.Sqrt(3)*std, rng)
		}
		return normal(w, std, rng)
	case KaimingUniform, KaimingNormal:
		if gain == 0 {
			nl := in.Nonlinearity
			if nl == "" {
				nl = "leaky_relu"
			}
			if gain, err = Gain(nl, in.Slope); err != nil {
				return err
			}
		}
		fan := fanIn
		if in.Mode == FanOut {
			fan = fanOut
		}
		std := gain / math.Sqrt(float64(fan))
		if in.Scheme == KaimingUniform {
			return uniform(w, math.Sqrt(3)*std, rng)
		}
		return normal(w, std, rng)
	case Zeros:
		clear(w)
	case Constant:
		for i := range w {
			w[i] = in.Value
		}
	case Normal:
		std := in.Std
		if std == 0 {
			std = 1
		}
		return normal(w, std, rng)
	default:
		return fmt.Errorf("unknown init scheme %d", in.Scheme)
	}
	return nil
}

func uniform(w []float64, bound float64, rng *rand.Rand) error {
	for i := range w {
		w[i] = (2*rng.Float64() - 1) * bound
	}
	return nil
}

func normal(w []float64, std float64, rng *rand.Rand) error {
	for i := range w {
		w[i] = rng.NormFloat64() * std
	}
	return nil
}
