package layers

import (
	"cmp"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// torchvision's ImageNet classifiers, with its topology and parameter names
// ("layer1.0.conv1.weight", "features.3.conv.1.0.weight"), so that a
// state_dict saved by PyTorch loads one to one. Weights start as torchvision
// initializes them.

// TorchvisionArchitectures lists the names Torchvision accepts.
var TorchvisionArchitectures = []string{"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "mobilenet_v2"}

// TorchvisionConfig selects a torchvision architecture by name.
type TorchvisionConfig struct {
	Arch    string // one of TorchvisionArchitectures
	Classes int
	// Width is the ResNets' base width (torchvision's 64; a whole number) or
	// MobileNetV2's width_mult (1); 0 means the default.
	Width float64
	// NoDropout turns MobileNetV2's classifier dropout (torchvision's 0.2) off.
	NoDropout bool
	Channels  int // input channels; 0 means 3
}

// Torchvision builds the architecture c names.
func Torchvision(c TorchvisionConfig) (Sequential, error) {
	arch, width, classes := c.Arch, c.Width, c.Classes
	switch arch {
	case "mobilenet_v2":
		dropout := MobileNetV2Dropout
		if c.NoDropout {
			dropout = 0
		}
		return MobileNetV2(MobileNetV2Config{Classes: classes, WidthMult: width, Dropout: dropout, Channels: c.Channels})
	case "resnet18", "resnet34", "resnet50", "resnet101", "resnet152":
		if width != math.Trunc(width) || width < 0 || width > 1<<20 {
			return nil, fmt.Errorf("%s: base width %g is not a positive whole number", arch, width)
		}
		depth, _ := strconv.Atoi(strings.TrimPrefix(arch, "resnet"))
		return TorchvisionResNet(TorchvisionResNetConfig{Depth: depth, Width: int(width), Classes: classes, Channels: c.Channels})
	}
	return nil, fmt.Errorf("unknown architecture %q (want one of %v)", arch, TorchvisionArchitectures)
}

// TorchvisionResNetConfig describes torchvision's ResNet-18/34/50/101/152.
type TorchvisionResNetConfig struct {
	Depth    int // 18, 34, 50, 101 or 152
	Classes  int
	Width    int // base width: stages of Width, 2·, 4·, 8·Width channels (×4 after bottlenecks); 0 means 64
	Channels int // input channels; 0 means 3
}

// resnetBlocks gives the blocks per stage and whether they are bottlenecks.
var resnetBlocks = map[int]struct {
	counts     [4]int
	bottleneck bool
}{
	18: {[4]int{2, 2, 2, 2}, false}, 34: {[4]int{3, 4, 6, 3}, false},
	50: {[4]int{3, 4, 6, 3}, true}, 101: {[4]int{3, 4, 23, 3}, true}, 152: {[4]int{3, 8, 36, 3}, true},
}

// TorchvisionResNet builds torchvision's ResNet: the 7×7/2 stem, batch norm,
// ReLU and 3×3/2 max pool, four stages of basic or bottleneck blocks (the
// stride on the 3×3 convolution, v1.5) with 1×1 downsample shortcuts where
// the shape changes, adaptive average pooling and the fc layer.
func TorchvisionResNet(c TorchvisionResNetConfig) (Sequential, error) {
	spec, ok := resnetBlocks[c.Depth]
	if !ok {
		return nil, fmt.Errorf("resnet: depth %d is not one of 18, 34, 50, 101, 152", c.Depth)
	}
	width, channels := cmp.Or(c.Width, 64), cmp.Or(c.Channels, 3)
	if width < 1 || channels < 1 || c.Classes < 1 {
		return nil, fmt.Errorf("resnet%d: width %d, %d input channels and %d classes must all be positive", c.Depth, c.Width, c.Channels, c.Classes)
	}
	// torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu").
	init := Init{Scheme: KaimingNormal, Mode: FanOut, Nonlinearity: "relu"}
	conv := func(name string, in, out, k, stride int) Conv2D {
		return Conv2D{Name: name, In: in, Out: out, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride},
			Padding: [2]int{k / 2, k / 2}, NoBias: true, WeightInit: init}
	}
	bn := func(name string, ch int) BatchNorm { return BatchNorm{Name: name, Channels: ch} }
	net := Sequential{conv("conv1", channels, width, 7, 2), bn("bn1", width), ReLU,
		MaxPool2D{Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}}
	expansion := 1
	if spec.bottleneck {
		expansion = 4
	}
	in := width
	for stage, blocks := range spec.counts {
		planes := width << stage
		out := planes * expansion
		var layer Sequential
		for b := 0; b < blocks; b++ {
			stride := 1
			if stage > 0 && b == 0 {
				stride = 2
			}
			var body Sequential
			if spec.bottleneck {
				body = Sequential{
					conv("conv1", in, planes, 1, 1), bn("bn1", planes), ReLU,
					conv("conv2", planes, planes, 3, stride), bn("bn2", planes), ReLU,
					conv("conv3", planes, out, 1, 1), bn("bn3", out),
				}
			} else {
				body = Sequential{
					conv("conv1", in, planes, 3, stride), bn("bn1", planes), ReLU,
					conv("conv2", planes, planes, 3, 1), bn("bn2", planes),
				}
			}
			block := Residual{Name: fmt.Sprint(b), Body: body, Post: ReLU}
			if stride != 1 || in != out {
				block.Shortcut = Sequential{conv("0", in, out, 1, stride), bn("1", out)}
			}
			layer = append(layer, block)
			in = out
		}
		net = append(net, named{fmt.Sprintf("layer%d", stage+1), layer})
	}
	return append(net, GlobalAvgPool{}, Flatten{}, Linear{Name: "fc", In: in, Out: c.Classes}), nil
}

// MobileNetV2Dropout is the drop probability of torchvision's MobileNetV2
// classifier.
const MobileNetV2Dropout = 0.2

// MobileNetV2Config describes torchvision's MobileNetV2.
type MobileNetV2Config struct {
	Classes   int
	WidthMult float64 // scales every layer's channels (rounded to multiples of 8); 0 means 1
	Dropout   float64 // the classifier's drop probability: MobileNetV2Dropout in torchvision; 0 for none
	Channels  int     // input channels; 0 means 3
}

// makeDivisible is torchvision's _make_divisible(v, 8): v rounded to the
// nearest multiple of 8, at least 8, and not below 90% of v.
func makeDivisible(v float64) int {
	const divisor = 8
	n := max(divisor, int(v+divisor/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// MobileNetV2 builds torchvision's MobileNetV2: features (a 3×3/2 stem, 17
// inverted residual blocks with ReLU6 and depthwise convolutions, a 1×1
// convolution to 1280·max(1, width_mult) channels), adaptive average pooling
// and the classifier (dropout, linear).
func MobileNetV2(c MobileNetV2Config) (Sequential, error) {
	mult, channels := c.WidthMult, cmp.Or(c.Channels, 3)
	if mult == 0 {
		mult = 1
	}
	if !(mult > 0 && mult <= 64) || channels < 1 || c.Classes < 1 || !(c.Dropout >= 0 && c.Dropout < 1) {
		return nil, fmt.Errorf("mobilenet_v2: width_mult %g must lie in (0, 64], dropout %g in [0, 1), %d input channels and %d classes must be positive",
			c.WidthMult, c.Dropout, c.Channels, c.Classes)
	}
	// torchvision: convolutions kaiming_normal_(mode="fan_out"), the
	// classifier's weight N(0, 0.01²) and bias 0.
	init := Init{Scheme: KaimingNormal, Mode: FanOut}
	// convNormReLU6 is torchvision's Conv2dNormActivation: conv "0", batch
	// norm "1", ReLU6.
	convNormReLU6 := func(in, out, k, stride, groups int) Sequential {
		return Sequential{
			Conv2D{In: in, Out: out, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride}, Padding: [2]int{k / 2, k / 2},
				Groups: groups, NoBias: true, WeightInit: init},
			BatchNorm{Channels: out}, ReLU6,
		}
	}
	in := makeDivisible(32 * mult)
	last := makeDivisible(1280 * max(1, mult))
	features := Sequential{convNormReLU6(channels, in, 3, 2, 1)}
	for _, s := range [...]struct{ expand, out, repeat, stride int }{
		{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
	} {
		out := makeDivisible(float64(s.out) * mult)
		for i := 0; i < s.repeat; i++ {
			stride := 1
			if i == 0 {
				stride = s.stride
			}
			hidden := in * s.expand
			var body Sequential
			if s.expand != 1 {
				body = append(body, convNormReLU6(in, hidden, 1, 1, 1))
			}
			body = append(body, convNormReLU6(hidden, hidden, 3, stride, hidden),
				Conv2D{In: hidden, Out: out, Kernel: [2]int{1, 1}, NoBias: true, WeightInit: init},
				BatchNorm{Channels: out})
			// The block is unnamed (its index names it) and holds "conv".
			block := Layer(Sequential{named{"conv", body}})
			if stride == 1 && in == out {
				block = Residual{Body: Sequential{named{"conv", body}}}
			}
			features = append(features, block)
			in = out
		}
	}
	features = append(features, convNormReLU6(in, last, 1, 1, 1))
	classifier := Sequential{Dropout{P: c.Dropout}, Linear{In: last, Out: c.Classes, ZeroBias: true, WeightInit: Init{Scheme: Normal, Std: 0.01}}}
	return Sequential{named{"features", features}, GlobalAvgPool{}, Flatten{}, named{"classifier", classifier}}, nil
}
