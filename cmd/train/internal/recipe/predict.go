package recipe

import (
	"fmt"
	"slices"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/layers/weights"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// ModelInfo is what predicting with a trained model needs besides its
// weights: the class names and the evaluation transform. A run folder keeps
// it in model.json.
type ModelInfo struct {
	Model     string        `json:"model"`
	Classes   []string      `json:"classes"`
	Transform EvalTransform `json:"eval_transform"`
}

// EvalTransform is the run's evaluation transform: decode as Channels
// planes, resize (the shorter side to ResizeShorter and a centre crop of
// Height×Width; or, with ResizeShorter 0, straight to Height×Width) and
// standardize each channel: (pixel/255 − Mean)/Std.
type EvalTransform struct {
	Channels      int       `json:"channels"`
	ResizeShorter int       `json:"resize_shorter,omitempty"`
	Height        int       `json:"height"`
	Width         int       `json:"width"`
	Mean          []float64 `json:"mean"`
	Std           []float64 `json:"std"`
}

// ImageNetEvalTransform is torchvision's evaluation transform for size×size
// RGB inputs with ImageNet's statistics.
func ImageNetEvalTransform(size int) EvalTransform {
	return EvalTransform{Channels: 3, ResizeShorter: augment.ImageNetResizeSize(size), Height: size, Width: size,
		Mean: data.ImageNetStats.Mean, Std: data.ImageNetStats.Std}
}

// ModelInfo describes the run's model for prediction.
func (r *Run) ModelInfo() ModelInfo {
	d := r.Data
	t := EvalTransform{Channels: d.C, Height: d.H, Width: d.W}
	if r.Cfg.usesImageNetTransforms() {
		t.ResizeShorter = augment.ImageNetResizeSize(r.Cfg.ImageSize)
	}
	for ch := range d.C {
		mean, std := 0.0, 1.0 // -input-norm none: pixel/255
		if d.InputMode != data.NormNone {
			mean = d.InputStats.Mean[ch]
		}
		if d.InputMode == data.NormStandardize {
			std = d.InputStats.Std[ch]
		}
		t.Mean, t.Std = append(t.Mean, mean), append(t.Std, std)
	}
	return ModelInfo{Model: r.Cfg.Model, Classes: d.Classes, Transform: t}
}

// Pipeline is the geometric part of the transform.
func (t EvalTransform) Pipeline() augment.Pipeline {
	if t.ResizeShorter == 0 {
		return augment.Compose(augment.Resize{Height: t.Height, Width: t.Width})
	}
	return augment.Compose(augment.ResizeShorter{Size: t.ResizeShorter}, augment.CenterCrop{Height: t.Height, Width: t.Width})
}

// Normalizer is the standardization of the transform.
func (t EvalTransform) Normalizer() (*data.Normalizer, error) {
	return data.NewNormalizer(data.NormStandardize, data.Stats{Mean: t.Mean, Std: t.Std})
}

// check refuses a transform that model.json could not have come from.
func (t EvalTransform) check() error {
	if (t.Channels != 1 && t.Channels != 3) || t.Height < 1 || t.Width < 1 || t.Height > maxImageSide || t.Width > maxImageSide ||
		t.ResizeShorter < 0 || t.ResizeShorter > maxImageSide || len(t.Mean) != t.Channels || len(t.Std) != t.Channels {
		return fmt.Errorf("evaluation transform %+v is not %s", t, "1 or 3 channels, positive sizes and a mean and std per channel")
	}
	return nil
}

// Predictor gives the class probabilities of images with a trained model.
type Predictor struct {
	Info      ModelInfo
	trainer   *trainer.Trainer
	pipeline  augment.Pipeline
	normalize *data.Normalizer
	ctx       *augment.Context
	img       data.Image
	x         *graph.Buffer
}

// NewPredictor builds cfg's model with the class count of weightsFile's
// state_dict, loads the file strictly and prepares info's transform. With no
// class names in info, the classes are named by their index.
func NewPredictor(cfg Config, info ModelInfo, weightsFile string) (*Predictor, error) {
	if err := info.Transform.check(); err != nil {
		return nil, err
	}
	sd, err := weights.ReadFile(weightsFile)
	if err != nil {
		return nil, err
	}
	classes := headClasses(sd)
	if classes == 0 {
		classes = len(info.Classes)
	}
	if classes == 0 {
		return nil, fmt.Errorf("%s: no head (%v) to count the classes of", weightsFile, layers.Head)
	}
	if len(info.Classes) > classes {
		return nil, fmt.Errorf("%s: the model has %d classes, the class names %d", weightsFile, classes, len(info.Classes))
	}
	cfg.NumClasses = classes
	t := info.Transform
	net, err := cfg.network(t.Channels, t.Height, t.Width, classes)
	if err != nil {
		return nil, err
	}
	m, err := layers.Build(net, []int{1, t.Channels, t.Height, t.Width}, tensor.Float32, cfg.Seed)
	if err != nil {
		return nil, err
	}
	rep, err := weights.Load(m, sd, weights.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", weightsFile, err)
	}
	if len(rep.NewHead) > 0 {
		return nil, fmt.Errorf("%s: %s", weightsFile, rep)
	}
	backend, err := NewBackend(cfg.Device, m)
	if err != nil {
		return nil, fmt.Errorf("flag -device %s: %w", cfg.Device, err)
	}
	opt, err := solvers.New("sgd", map[string]any{"lr": 0.0}) // the trainer's; nothing is trained
	if err != nil {
		return nil, err
	}
	tr, err := trainer.New(trainer.Config{Model: m, Backend: backend, Optimizer: opt})
	if err != nil {
		return nil, fmt.Errorf("flag -device %s: %w", cfg.Device, err)
	}
	norm, err := t.Normalizer()
	if err != nil {
		return nil, err
	}
	for len(info.Classes) < classes {
		info.Classes = append(info.Classes, fmt.Sprint(len(info.Classes)))
	}
	return &Predictor{Info: info, trainer: tr, pipeline: t.Pipeline(), normalize: norm, ctx: augment.NewContext(0),
		x: graph.NewBuffer(tensor.Float32, 1, t.Channels, t.Height, t.Width)}, nil
}

// headClasses is the class count of a state_dict's classifier head; 0 if it
// has none.
func headClasses(sd *weights.StateDict) int {
	for _, name := range []string{"fc.weight", "classifier.1.weight"} {
		if t, ok := sd.Tensors[name]; ok && len(t.Shape) == 2 {
			return t.Shape[0]
		}
	}
	return 0
}

// Predict returns the class probabilities of a decoded image, transformed as
// the model was evaluated in training.
func (p *Predictor) Predict(img data.Image) ([]float64, error) {
	out := p.pipeline.Apply(&p.img, img, p.ctx)
	p.normalize.Apply(p.x.F32, out)
	probs, err := p.trainer.Predict(p.x)
	if err != nil {
		return nil, err
	}
	return probs[0], nil
}

// Top returns the indices of the k largest probabilities, largest first
// (ties: the lower index first).
func Top(probs []float64, k int) []int {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case probs[a] > probs[b]:
			return -1
		case probs[a] < probs[b]:
			return 1
		}
		return 0
	})
	return idx[:min(k, len(idx))]
}
