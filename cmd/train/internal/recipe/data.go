package recipe

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
)

// Dataset is a run's data: the three splits, their common image shape, the
// class names and the input normalization fitted on the training split.
type Dataset struct {
	data.Splits
	C, H, W    int
	Classes    []string
	Normalizer *data.Normalizer
	Resize     augment.Transform // for image folders: every split is resized
}

// loadData reads, splits and normalizes the configured dataset.
func (cfg *Config) loadData() (*Dataset, error) {
	var train, test *data.Dataset
	var err error
	switch cfg.Dataset {
	case "mnist":
		dir := cfg.DataDir
		if dir == "" {
			if dir, err = data.FindGoMNIST(); err != nil {
				return nil, err
			}
		}
		train, test, err = data.LoadMNIST(dir)
	case "cifar10":
		if cfg.DataDir == "" {
			return nil, fmt.Errorf("flag -data-dir: cifar10 needs the folder holding data_batch_1.bin … test_batch.bin")
		}
		train, test, err = data.LoadCIFAR10(cfg.DataDir)
	case "folder":
		if cfg.DataDir == "" {
			return nil, fmt.Errorf("flag -data-dir: folder needs a folder with one subfolder per class")
		}
		train, err = data.LoadImageFolder(cfg.DataDir)
	default:
		return nil, fmt.Errorf("flag -dataset: unknown %q (want mnist, cifar10 or folder)", cfg.Dataset)
	}
	if err != nil {
		return nil, err
	}
	if cfg.Subset < 0 {
		return nil, fmt.Errorf("flag -subset: %d is negative", cfg.Subset)
	}
	ratios, err := data.ParseRatios(cfg.Split)
	if err != nil {
		return nil, fmt.Errorf("flag -split: %w", err)
	}
	splits, err := data.Split(train, test, ratios, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("flag -split %s: %w", cfg.Split, err)
	}
	if cfg.Subset > 0 && cfg.Subset < splits.Train.Len() {
		idx := make([]int, cfg.Subset)
		for i := range idx {
			idx[i] = i
		}
		splits.Train = splits.Train.Subset(idx)
	}
	if splits.Train.Len() == 0 {
		return nil, fmt.Errorf("flag -split %s leaves no training samples", cfg.Split)
	}
	d := &Dataset{Splits: splits, Classes: train.Classes}
	if cfg.Dataset == "folder" {
		if cfg.ImageSize < 1 {
			return nil, fmt.Errorf("flag -image-size: %d is not positive", cfg.ImageSize)
		}
		d.Resize = augment.Resize{Height: cfg.ImageSize, Width: cfg.ImageSize}
	}
	c, h, w, ok := splits.Train.Shape()
	if d.Resize != nil {
		c, h, w = splits.Train.Images[0].C, cfg.ImageSize, cfg.ImageSize
	} else if !ok {
		return nil, fmt.Errorf("dataset %s: images differ in size", cfg.Dataset)
	}
	d.C, d.H, d.W = c, h, w
	mode, err := data.ParseNormMode(cfg.InputNorm)
	if err != nil {
		return nil, fmt.Errorf("flag -input-norm: %w", err)
	}
	stats := data.Stats{}
	if mode != data.NormNone {
		if stats, err = data.ComputeStats(splits.Train); err != nil {
			return nil, err
		}
	}
	if d.Normalizer, err = data.NewNormalizer(mode, stats); err != nil {
		return nil, fmt.Errorf("flag -input-norm: %w", err)
	}
	return d, nil
}

// trainTransform parses -augment into a pipeline applied to training images.
func (cfg *Config) trainTransform(d *Dataset) (augment.Transform, error) {
	var ts []augment.Transform
	if d.Resize != nil {
		ts = append(ts, d.Resize)
	}
	for _, item := range strings.Split(cfg.Augment, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, explicitP := 1.0, false
		if at := strings.LastIndex(item, "@"); at >= 0 {
			explicitP = true
			v, err := strconv.ParseFloat(item[at+1:], 64)
			if err != nil || v < 0 || v > 1 {
				return nil, fmt.Errorf("flag -augment: probability in %q is not in [0, 1]", item)
			}
			p, item = v, item[:at]
		}
		name, arg, hasArg := strings.Cut(item, "=")
		val := 0.0
		if hasArg {
			v, err := strconv.ParseFloat(arg, 64)
			if err != nil || v < 0 {
				return nil, fmt.Errorf("flag -augment: %q has a bad value %q", name, arg)
			}
			val = v
		}
		var t augment.Transform
		switch name {
		case "hflip", "vflip":
			t = augment.FlipHorizontal{}
			if name == "vflip" {
				t = augment.FlipVertical{}
			}
			if !explicitP {
				p = 0.5 // torchvision's RandomHorizontalFlip/RandomVerticalFlip
			}
		case "translate":
			t = augment.RandomTranslate{MaxX: orDefault(val, 2) / float64(d.W), MaxY: orDefault(val, 2) / float64(d.H)}
		case "rotate":
			t = augment.RandomRotate{MaxDegrees: orDefault(val, 10), Interpolation: augment.Bilinear}
		case "crop":
			t = augment.RandomCrop{Height: d.H, Width: d.W, Padding: int(orDefault(val, 4))}
		case "cutout":
			t = augment.Cutout{Size: int(orDefault(val, float64(d.H/4)))}
		case "erase":
			t = augment.RandomErasing{}
		case "jitter":
			t = augment.ColorJitter{Brightness: orDefault(val, 0.2), Contrast: orDefault(val, 0.2)}
		default:
			return nil, fmt.Errorf("flag -augment: unknown augmentation %q (want hflip, vflip, translate, rotate, crop, cutout, erase or jitter)", name)
		}
		if p < 1 {
			t = augment.RandomApply{P: p, T: t}
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return augment.Compose(ts...), nil
}

func orDefault(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}

// loader makes the batch producer of a split.
func (cfg *Config) loader(d *Dataset, ds *data.Dataset, batch int, train bool) (*augment.Loader, error) {
	lc := augment.Config{BatchSize: batch, Seed: cfg.Seed, Workers: cfg.Workers, Normalizer: d.Normalizer, Shuffle: train}
	lc.DropLast = train && cfg.dropsLastSample(ds.Len(), batch)
	if train {
		t, err := cfg.trainTransform(d)
		if err != nil {
			return nil, err
		}
		lc.Transform = t
	} else if d.Resize != nil {
		lc.Transform = d.Resize
	}
	return augment.NewLoader(ds, lc)
}

// dropsLastSample reports whether an epoch leaves out a last batch of one
// sample: batch norm cannot train on it (PyTorch refuses it too).
func (cfg *Config) dropsLastSample(n, batch int) bool {
	return cfg.Norm == "batch" && n%batch == 1
}
