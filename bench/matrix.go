package bench

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"sort"
	"time"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// Models, Optimizers and Normalizations are the axes of the matrix.
var (
	Models         = []string{"mlp", "lenet", "resnet", "resnet18", "resnet50", "mobilenet_v2"}
	Optimizers     = []string{"sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw"}
	Normalizations = []string{"none", "input", "batch"}
)

// Cell is one configuration to measure.
type Cell struct {
	Model         string `json:"model"`
	Optimizer     string `json:"optimizer"`
	Normalization string `json:"normalization"`
	Device        string `json:"device"`
	Batch         int    `json:"batch"`
	// TF32 lets GPU matrix products (and PyTorch's convolutions) use TF32
	// tensor cores; both sides run true float32 otherwise.
	TF32 bool `json:"tf32,omitempty"`
}

// Result is a measured cell: the median images/s over the repeats.
type Result struct {
	Cell
	ImagesPerSec float64   `json:"images_per_sec"`
	Repeats      []float64 `json:"repeats"` // images/s of each timed repeat
	Steps        int       `json:"steps"`   // training steps per timed repeat
}

// Options set how long each cell is measured.
type Options struct {
	Steps   int // training steps per timed repeat, at least
	Warmup  int // untimed steps first
	Repeats int
	// MinRepeat lengthens the repeats of fast cells: a cell whose Steps steps
	// take Descent less runs as many more as fill MinRepeat (PyTorch the same
	// count), so that a pause of the machine weighs little in any repeat.
	MinRepeat time.Duration
	// Settle is untimed steps at the start of every turn of Compare, on
	// both sides: a side that waited through the others' turns runs its
	// first steps slower (Descent's ResNet-8 after 30 s pauses), so each
	// turn settles before its repeat is timed.
	Settle int
}

// Quick measures every cell briefly; Full more steadily.
var (
	Quick = Options{Steps: 10, Warmup: 2, Repeats: 5}
	Full  = Options{Steps: 30, Warmup: 10, Repeats: 5, MinRepeat: 250 * time.Millisecond, Settle: 3}
)

// Matrix lists the cells of models × optimizers × normalizations on a device,
// with each model's batch size.
func Matrix(models, optimizers, norms []string, device string, batch map[string]int) []Cell {
	var cells []Cell
	for _, m := range models {
		for _, o := range optimizers {
			for _, n := range norms {
				cells = append(cells, Cell{Model: m, Optimizer: o, Normalization: n, Device: device, Batch: batch[m]})
			}
		}
	}
	return cells
}

// Network is the benchmark network of a model name and its input shape (CHW).
// The shapes match bench/pytorch/throughput.py. The torchvision models
// (resnet18, resnet50, mobilenet_v2: 1000 classes at 224×224, batch norm
// always) are torchvision's own on the PyTorch side.
func Network(model string, batchNorm bool) (layers.Layer, []int, error) {
	switch model {
	case "resnet18", "resnet50", "mobilenet_v2":
		net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: model, Classes: 1000})
		return net, []int{3, 224, 224}, err
	case "mlp":
		return layers.MLP(layers.MLPConfig{Inputs: 784, Classes: 10, Depth: 2, Width: 256, Activation: layers.ReLU, BatchNorm: batchNorm}), []int{1, 28, 28}, nil
	case "lenet":
		return layers.LeNet(layers.LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, BatchNorm: batchNorm, Dropout: 0.5}), []int{1, 28, 28}, nil
	case "resnet":
		return layers.ResNet(layers.ResNetConfig{Channels: 3, Classes: 10}), []int{3, 32, 32}, nil
	}
	return nil, nil, fmt.Errorf("unknown model %q (want one of %v)", model, Models)
}

// optimizerOptions are the learning rates the PyTorch script uses too.
var optimizerOptions = map[string]map[string]any{
	"sgd":      {"lr": 0.01, "momentum": 0.9},
	"adagrad":  {"lr": 0.01},
	"adadelta": {},
	"rmsprop":  {"lr": 0.001},
	"adam":     {"lr": 0.001},
	"adamw":    {"lr": 0.001},
}

// BackendFor makes the backend a model runs on (graph.CPU, or graph.NewCUDA).
type BackendFor func(*graph.Model) (graph.Backend, error)

// CPU runs every cell on the CPU backend.
func CPU(*graph.Model) (graph.Backend, error) { return graph.CPU{}, nil }

// Measure runs one cell on the backend newBackend makes for its model.
func Measure(c Cell, newBackend BackendFor, opt Options) (Result, error) {
	s, err := newStepper(c, newBackend)
	if err != nil {
		return Result{}, err
	}
	defer s.close()
	if err := s.warmUp(opt.Warmup); err != nil {
		return Result{}, err
	}
	steps, err := s.stepsPerRepeat(opt)
	if err != nil {
		return Result{}, err
	}
	r := Result{Cell: c, Steps: steps}
	for rep := 0; rep < opt.Repeats; rep++ {
		rate, err := s.repeat(steps)
		if err != nil {
			return Result{}, err
		}
		r.Repeats = append(r.Repeats, rate)
	}
	r.ImagesPerSec = medianOf(r.Repeats)
	return r, nil
}

// stepper trains one cell's network through the trainer, an epoch of the
// requested number of steps at a time, so that its timed repeats can be
// interleaved with other measurements (Compare).
type stepper struct {
	cell    Cell
	trainer *trainer.Trainer
	images  *randomImages
	close   func()
}

func newStepper(c Cell, newBackend BackendFor) (*stepper, error) {
	net, chw, err := Network(c.Model, c.Normalization == "batch")
	if err != nil {
		return nil, err
	}
	shape := append([]int{c.Batch}, chw...)
	m, err := layers.Build(net, shape, tensor.Float32, 1)
	if err != nil {
		return nil, err
	}
	o, err := solvers.New(c.Optimizer, optimizerOptions[c.Optimizer])
	if err != nil {
		return nil, err
	}
	if err := o.AddGroup(m.Trainable(), nil); err != nil {
		return nil, err
	}
	backend, err := newBackend(m)
	if err != nil {
		return nil, err
	}
	closeBackend := func() {}
	if c, ok := backend.(io.Closer); ok {
		closeBackend = func() { c.Close() }
	}
	rng := rand.New(rand.NewPCG(1, 2))
	images := &randomImages{raw: make([]float32, graph.ShapeSize(shape)), normalize: c.Normalization != "none"}
	for i := range images.raw {
		images.raw[i] = rng.Float32()
	}
	images.batch = trainer.Batch{X: graph.NewBuffer(tensor.Float32, shape...), Labels: make([]int, c.Batch)}
	for i := range images.batch.Labels {
		images.batch.Labels[i] = rng.IntN(10)
	}
	t, err := trainer.New(trainer.Config{Model: m, Backend: backend, Optimizer: o, Train: images})
	if err != nil {
		closeBackend()
		return nil, err
	}
	return &stepper{cell: c, trainer: t, images: images, close: closeBackend}, nil
}

// run trains one epoch of steps steps.
func (s *stepper) run(steps int) error {
	s.images.steps = steps
	return s.trainer.Fit(context.Background(), s.trainer.Epoch()+1)
}

// warmUp runs steps untimed.
func (s *stepper) warmUp(steps int) error {
	if steps == 0 {
		return nil
	}
	return s.run(steps)
}

// stepsPerRepeat is opt.Steps, or more where that many steps take less than
// opt.MinRepeat: one untimed repeat of opt.Steps measures the step.
func (s *stepper) stepsPerRepeat(opt Options) (int, error) {
	if opt.MinRepeat <= 0 {
		return opt.Steps, nil
	}
	rate, err := s.repeat(opt.Steps)
	if err != nil {
		return 0, err
	}
	step := time.Duration(float64(time.Second) * float64(s.cell.Batch) / rate)
	return max(opt.Steps, int((opt.MinRepeat+step-1)/step)), nil
}

// repeat times steps training steps and returns their images/s.
func (s *stepper) repeat(steps int) (float64, error) {
	start := time.Now()
	if err := s.run(steps); err != nil {
		return 0, err
	}
	return float64(steps*s.cell.Batch) / time.Since(start).Seconds(), nil
}

// randomImages yields the same random batch steps times an epoch, copied
// (and with normalize, standardized on the host, as the data pipeline does
// it) into the batch's input every time.
type randomImages struct {
	raw       []float32
	normalize bool
	batch     trainer.Batch
	steps     int
}

func (r *randomImages) Epoch(int) iter.Seq[*trainer.Batch] {
	return func(yield func(*trainer.Batch) bool) {
		x := r.batch.X.F32
		for i := 0; i < r.steps; i++ {
			if r.normalize {
				for k, v := range r.raw {
					x[k] = (v - 0.5) * 4
				}
			} else {
				copy(x, r.raw)
			}
			r.batch.Index = i
			if !yield(&r.batch) {
				return
			}
		}
	}
}

func medianOf(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
