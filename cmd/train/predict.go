package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/layers"
)

// predictCommand prints the top classes of images, with the model of a run
// folder (-run) or with torchvision weights trained elsewhere (-model, -weights).
func predictCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	run := fs.String("run", "", "run folder: its best epoch's weights (best.safetensors) when it has one, else the last (model.safetensors), with model.json and config.json")
	model := fs.String("model", "", "without -run: the torchvision architecture of -weights ("+strings.Join(layers.TorchvisionArchitectures, ", ")+")")
	weightsFile := fs.String("weights", "", "without -run: the state_dict (.safetensors or .pth)")
	classesFile := fs.String("classes", "", "without -run: a text file with one class name per line (default: the class indices)")
	width := fs.Int("width", 64, "without -run: resnet18…152's base width")
	widthMult := fs.Float64("width-mult", 1, "without -run: mobilenet_v2's width_mult")
	size := fs.Int("image-size", 224, "without -run: the input size; images are resized to size·256/224 on the shorter side, centre-cropped and standardized with ImageNet's statistics")
	device := fs.String("device", "cpu", "cpu or gpu")
	topk := fs.Int("topk", 5, "classes to print per image")
	asJSON := fs.Bool("json", false, `one JSON object per image and line: {"file": …, "top": [{"index": …, "class": …, "prob": …}, …]}`)
	if err := recipe.ParseFlagsAndArgs(fs, args); err != nil {
		return err
	}
	images := fs.Args()
	if len(images) == 0 {
		return fmt.Errorf("predict: no images given (predict -run DIR IMAGE…, or predict -model NAME -weights FILE IMAGE…)")
	}
	if *topk < 1 {
		return fmt.Errorf("flag -topk: %d is not a positive number of classes", *topk)
	}
	var cfg recipe.Config
	var info recipe.ModelInfo
	var file string
	if *run != "" {
		var set []string
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "model", "weights", "classes", "width", "width-mult", "image-size":
				set = append(set, "-"+f.Name)
			}
		})
		if len(set) > 0 {
			return fmt.Errorf("flag %s: with -run, the run's model and transform are used", strings.Join(set, ", "))
		}
		var err error
		if cfg, info, err = readRun(*run); err != nil {
			return fmt.Errorf("flag -run: %w", err)
		}
		file = filepath.Join(*run, modelFile)
		if _, err := os.Stat(filepath.Join(*run, bestModelFile)); err == nil {
			file = filepath.Join(*run, bestModelFile) // the weights eval tests too
		}
	} else {
		if *model == "" || *weightsFile == "" {
			return fmt.Errorf("predict: give -run DIR, or -model NAME and -weights FILE")
		}
		cfg = recipe.DefaultConfig()
		cfg.Model, cfg.Width, cfg.WidthMult, cfg.Dropout, cfg.ImageSize = *model, *width, *widthMult, 0, *size
		if !recipe.IsTorchvision(cfg.Model) {
			return fmt.Errorf("flag -model: %q is not one of %s (a model of this program is predicted with -run)", *model, strings.Join(layers.TorchvisionArchitectures, ", "))
		}
		if cfg.Model != "mobilenet_v2" {
			cfg.WidthMult = 0
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
		info = recipe.ModelInfo{Model: cfg.Model, Transform: recipe.ImageNetEvalTransform(*size)}
		if *classesFile != "" {
			var err error
			if info.Classes, err = readClassNames(*classesFile); err != nil {
				return fmt.Errorf("flag -classes: %w", err)
			}
		}
		file = *weightsFile
	}
	cfg.Device = *device
	p, err := recipe.NewPredictor(cfg, info, file)
	if err != nil {
		return err
	}
	if *classesFile != "" && len(info.Classes) != len(p.Info.Classes) {
		return fmt.Errorf("flag -classes %s: %d class names, the model has %d classes", *classesFile, len(info.Classes), len(p.Info.Classes))
	}
	failed := 0
	for _, path := range images {
		probs, err := predictFile(p, path)
		if err != nil {
			fmt.Fprintf(stderr, "predict: %s: %v\n", path, err)
			failed++
			continue
		}
		if err := printTop(stdout, path, probs, p.Info.Classes, *topk, *asJSON); err != nil {
			return err
		}
	}
	if failed > 0 {
		return fmt.Errorf("predict: %d of %d images could not be read", failed, len(images))
	}
	return nil
}

// readRun reads what predict needs of a run folder.
func readRun(dir string) (recipe.Config, recipe.ModelInfo, error) {
	cfg := recipe.DefaultConfig()
	var info recipe.ModelInfo
	for _, f := range []struct {
		name string
		v    any
	}{{"config.json", &cfg}, {modelInfoFile, &info}} {
		raw, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return cfg, info, fmt.Errorf("%s (a run folder written by this version of train after its first epoch)", err)
		}
		if err := json.Unmarshal(raw, f.v); err != nil {
			return cfg, info, fmt.Errorf("%s: %w", filepath.Join(dir, f.name), err)
		}
	}
	return cfg, info, nil
}

// readClassNames reads one class name per line; blank lines at the end are
// ignored.
func readClassNames(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		names = append(names, strings.TrimSpace(s.Text()))
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for len(names) > 0 && names[len(names)-1] == "" {
		names = names[:len(names)-1]
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no class names", path)
	}
	return names, nil
}

// predictFile decodes an image, converted to the model's channels as
// Pillow's convert does, and predicts its class probabilities.
func predictFile(p *recipe.Predictor, path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.Unwrap(err)
	}
	defer f.Close()
	decoded, err := data.DecodeImage(f, data.DefaultMaxImagePixels)
	if err != nil {
		return nil, err
	}
	img, err := data.ToImage(decoded, p.Info.Transform.Channels, &data.Image{})
	if err != nil {
		return nil, err
	}
	return p.Predict(img)
}

// prediction is one line of predict -json.
type prediction struct {
	File string      `json:"file"`
	Top  []topResult `json:"top"`
}

type topResult struct {
	Index int     `json:"index"`
	Class string  `json:"class"`
	Prob  float64 `json:"prob"`
}

// printTop writes the k most probable classes of an image.
func printTop(w io.Writer, path string, probs []float64, classes []string, k int, asJSON bool) error {
	pr := prediction{File: path}
	for _, i := range recipe.Top(probs, k) {
		pr.Top = append(pr.Top, topResult{Index: i, Class: classes[i], Prob: probs[i]})
	}
	if asJSON {
		return json.NewEncoder(w).Encode(pr)
	}
	if _, err := fmt.Fprintln(w, path); err != nil {
		return err
	}
	for _, t := range pr.Top {
		if _, err := fmt.Fprintf(w, "  %7.3f%%  %s (%d)\n", 100*t.Prob, t.Class, t.Index); err != nil {
			return err
		}
	}
	return nil
}
