package layers

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"
)

// MLPConfig describes a multilayer perceptron; Depth and Width are the capacity
// knob.
type MLPConfig struct {
	Inputs, Classes int
	Depth           int        // hidden layers (0: logistic regression)
	Width           int        // units per hidden layer
	Activation      Activation // ReLU unless set
	BatchNorm       bool       // BatchNorm1d after each hidden linear layer
	Dropout         float64    // after each hidden activation, when > 0
	Init            Init       // weight init of every linear layer
}

// MLP builds Flatten → [fcI → (bnI) → act → (dropout)] × Depth → fc_out, with
// parameters "fc1.weight", …, "bn1.running_mean", …, "out.weight".
func MLP(c MLPConfig) Sequential {
	if err := c.validate(); err != nil {
		return Sequential{invalid{err}}
	}
	act := c.Activation
	net := Sequential{Flatten{}}
	in := c.Inputs
	for i := 1; i <= c.Depth; i++ {
		net = append(net, Linear{Name: fmt.Sprintf("fc%d", i), In: in, Out: c.Width, WeightInit: c.Init})
		if c.BatchNorm {
			net = append(net, BatchNorm{Name: fmt.Sprintf("bn%d", i), Channels: c.Width})
		}
		net = append(net, act)
		if c.Dropout > 0 {
			net = append(net, Dropout{P: c.Dropout})
		}
		in = c.Width
	}
	return append(net, Linear{Name: "out", In: in, Out: c.Classes, WeightInit: c.Init})
}

// LeNetConfig describes the LeNet-like CNN: conv5×5 F1 → relu → maxpool2 →
// conv5×5 F2 → relu → maxpool2 → linear → relu → dropout → linear.
type LeNetConfig struct {
	Channels, Height, Width, Classes int
	Filters                          [2]int  // 0 means 32, 64
	Hidden                           int     // 0 means 128
	BatchNorm                        bool    // BatchNorm2d after each conv, BatchNorm1d after fc1
	Dropout                          float64 // before the last layer
	Init                             Init
}

// LeNet builds the CNN of LeNetConfig with parameters "conv1.weight",
// "bn1.running_mean", …, "fc1.weight", "fc2.weight".
func LeNet(c LeNetConfig) Sequential {
	if err := c.validate(); err != nil {
		return Sequential{invalid{err}}
	}
	f1, f2 := c.Filters[0], c.Filters[1]
	if f1 == 0 {
		f1 = 32
	}
	if f2 == 0 {
		f2 = 64
	}
	hidden := c.Hidden
	if hidden == 0 {
		hidden = 128
	}
	five := [2]int{5, 5}
	pool := MaxPool2D{Kernel: [2]int{2, 2}}
	h := ((c.Height-4)/2 - 4) / 2
	w := ((c.Width-4)/2 - 4) / 2
	var net Sequential
	add := func(ls ...Layer) { net = append(net, ls...) }
	add(Conv2D{Name: "conv1", In: c.Channels, Out: f1, Kernel: five, WeightInit: c.Init, NoBias: c.BatchNorm})
	if c.BatchNorm {
		add(BatchNorm{Name: "bn1", Channels: f1})
	}
	add(ReLU, pool, Conv2D{Name: "conv2", In: f1, Out: f2, Kernel: five, WeightInit: c.Init, NoBias: c.BatchNorm})
	if c.BatchNorm {
		add(BatchNorm{Name: "bn2", Channels: f2})
	}
	add(ReLU, pool, Flatten{}, Linear{Name: "fc1", In: f2 * h * w, Out: hidden, WeightInit: c.Init, NoBias: c.BatchNorm})
	if c.BatchNorm {
		add(BatchNorm{Name: "bn3", Channels: hidden})
	}
	add(ReLU)
	if c.Dropout > 0 {
		add(Dropout{P: c.Dropout})
	}
	add(Linear{Name: "fc2", In: hidden, Out: c.Classes, WeightInit: c.Init})
	return net
}

// ResNetConfig describes a small ResNet for 3×32×32 inputs in the style of He et
// al.'s CIFAR networks: a 3×3 stem, three stages of BlocksPerStage basic blocks
// with Width, 2·Width and 4·Width filters (stride 2 between stages, 1×1
// projection shortcuts), global average pooling and a linear classifier.
// BlocksPerStage 1 gives ResNet-8, 3 gives ResNet-20.
type ResNetConfig struct {
	Channels, Classes int
	Width             int // 0 means 16
	BlocksPerStage    int // 0 means 1
	Init              Init
}

// ResNet builds the network of ResNetConfig. Convolutions have no bias (batch
// norm follows each); parameter names follow torchvision ("layer1.0.conv1.weight").
func ResNet(c ResNetConfig) Sequential {
	if err := c.validate(); err != nil {
		return Sequential{invalid{err}}
	}
	width := c.Width
	if width == 0 {
		width = 16
	}
	blocks := c.BlocksPerStage
	if blocks == 0 {
		blocks = 1
	}
	conv3 := func(name string, in, out, stride int) Conv2D {
		return Conv2D{Name: name, In: in, Out: out, Kernel: [2]int{3, 3}, Stride: [2]int{stride, stride},
			Padding: [2]int{1, 1}, NoBias: true, WeightInit: c.Init}
	}
	net := Sequential{conv3("conv1", c.Channels, width, 1), BatchNorm{Name: "bn1", Channels: width}, ReLU}
	in := width
	for stage := 0; stage < 3; stage++ {
		out := width << stage
		var layer Sequential
		for b := 0; b < blocks; b++ {
			stride := 1
			if stage > 0 && b == 0 {
				stride = 2
			}
			block := Residual{
				Name: fmt.Sprint(b),
				Body: Sequential{
					conv3("conv1", in, out, stride), BatchNorm{Name: "bn1", Channels: out}, ReLU,
					conv3("conv2", out, out, 1), BatchNorm{Name: "bn2", Channels: out},
				},
				Post: ReLU,
			}
			if stride != 1 || in != out {
				block.Shortcut = Sequential{
					Conv2D{Name: "0", In: in, Out: out, Kernel: [2]int{1, 1}, Stride: [2]int{stride, stride}, NoBias: true, WeightInit: c.Init},
					BatchNorm{Name: "1", Channels: out},
				}
			}
			layer = append(layer, block)
			in = out
		}
		net = append(net, named{fmt.Sprintf("layer%d", stage+1), layer})
	}
	return append(net, GlobalAvgPool{}, Flatten{}, Linear{Name: "fc", In: in, Out: c.Classes, WeightInit: c.Init})
}

// named gives a layer a parameter prefix inside a Sequential.
type named struct {
	Name string
	Layer
}

func (n named) name() string { return n.Name }

// invalid is the network of an invalid configuration: building it returns
// the configuration's error, so the constructors keep their signatures and
// nothing panics on a bad size.
type invalid struct{ err error }

func (l invalid) Build(*Context, *gorgonia.Node) (*gorgonia.Node, error) { return nil, l.err }

// sizeErr names the first size of names/values below its minimum.
func sizeErr(model string, names []string, values []int, mins []int) error {
	for i, v := range values {
		if v < mins[i] {
			return fmt.Errorf("layers: %s %s = %d is below %d", model, names[i], v, mins[i])
		}
	}
	return nil
}

func checkDropout(model string, p float64) error {
	if !(p >= 0 && p < 1) || math.IsInf(p, 0) {
		return fmt.Errorf("layers: %s Dropout = %v is not in [0, 1)", model, p)
	}
	return nil
}

func (c MLPConfig) validate() error {
	minWidth := 0
	if c.Depth > 0 {
		minWidth = 1
	}
	if err := sizeErr("MLP", []string{"Inputs", "Classes", "Depth", "Width"},
		[]int{c.Inputs, c.Classes, c.Depth, c.Width}, []int{1, 1, 0, minWidth}); err != nil {
		return err
	}
	return checkDropout("MLP", c.Dropout)
}

func (c LeNetConfig) validate() error {
	if err := sizeErr("LeNet", []string{"Channels", "Height", "Width", "Classes", "Filters[0]", "Filters[1]", "Hidden"},
		[]int{c.Channels, c.Height, c.Width, c.Classes, c.Filters[0], c.Filters[1], c.Hidden},
		[]int{1, 16, 16, 1, 0, 0, 0}); err != nil {
		return err
	}
	return checkDropout("LeNet", c.Dropout)
}

func (c ResNetConfig) validate() error {
	return sizeErr("ResNet", []string{"Channels", "Classes", "Width", "BlocksPerStage"},
		[]int{c.Channels, c.Classes, c.Width, c.BlocksPerStage}, []int{1, 1, 0, 0})
}
