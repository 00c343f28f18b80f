package recipe

import (
	"fmt"
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
	Resize     augment.Transform // for streamed datasets: every split is resized
	// TrainResize replaces Resize for the training split (the torchvision
	// models' RandomResizedCrop); nil: Resize.
	TrainResize augment.Transform
	// InputMode and InputStats are what Normalizer was made of.
	InputMode  data.NormMode
	InputStats data.Stats
	// Stream holds the splits of a streamed dataset (-dataset folder, csv,
	// tar; Splits then holds empty ones), and Listing its listing's report.
	Stream  *data.StreamSplits
	Listing string
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
	case "folder", "csv", "tar":
		return cfg.loadStream()
	default:
		return nil, fmt.Errorf("flag -dataset: unknown %q (want %s)", cfg.Dataset, strings.Join(DatasetKinds, ", "))
	}
	if err != nil {
		return nil, err
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
		splits.Train = splits.Train.Subset(firstN(cfg.Subset))
	}
	if splits.Train.Len() == 0 {
		return nil, fmt.Errorf("flag -split %s leaves no training samples", cfg.Split)
	}
	d := &Dataset{Splits: splits, Classes: train.Classes}
	c, h, w, ok := splits.Train.Shape()
	if !ok {
		return nil, fmt.Errorf("dataset %s: images differ in size", cfg.Dataset)
	} else if err := sameShape(cfg.Dataset, splits, c, h, w); err != nil {
		return nil, err
	}
	d.C, d.H, d.W = c, h, w
	if d.InputMode, d.InputStats, err = cfg.inputNormalization(splits.Train, c); err != nil {
		return nil, err
	}
	if d.Normalizer, err = data.NewNormalizer(d.InputMode, d.InputStats); err != nil {
		return nil, fmt.Errorf("flag -input-norm: %w", err)
	}
	return d, nil
}

// sameShape checks, before training, that the validation and test images have
// the training images' shape, which the model is built for.
func sameShape(dataset string, splits data.Splits, c, h, w int) error {
	for _, s := range []struct {
		name string
		ds   *data.Dataset
	}{{"validation", splits.Val}, {"test", splits.Test}} {
		for i, m := range s.ds.Images {
			if m.C != c || m.H != h || m.W != w {
				return fmt.Errorf("dataset %s: %s image %d is %d×%d×%d, the training images and the model %d×%d×%d", dataset, s.name, i, m.C, m.H, m.W, c, h, w)
			}
		}
	}
	return nil
}

// trainTransform parses -augment into a pipeline applied to training images.
func (cfg *Config) trainTransform(d *Dataset) (augment.Transform, error) {
	var ts []augment.Transform
	if d.TrainResize != nil {
		ts = append(ts, d.TrainResize)
	} else if d.Resize != nil {
		ts = append(ts, d.Resize)
	}
	t, err := augment.ParseSpec(cfg.Augment, d.C, d.H, d.W)
	if err != nil {
		return nil, fmt.Errorf("flag -augment: %w", err)
	}
	if t != nil {
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return augment.Compose(ts...), nil
}

// loader makes the batch producer of a split.
func (cfg *Config) loader(d *Dataset, ds data.Source, batch int, train bool) (*augment.Loader, error) {
	lc := augment.Config{BatchSize: batch, Seed: cfg.Seed, Workers: cfg.Workers, Normalizer: d.Normalizer, Shuffle: train}
	cfg.skipBadImages(&lc)
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
	l, err := augment.NewLoader(ds, lc)
	return l, cfg.imageError(err)
}

// dropsLastSample reports whether an epoch leaves out a last batch of one
// sample: batch norm cannot train on it (PyTorch refuses it too).
func (cfg *Config) dropsLastSample(n, batch int) bool {
	return cfg.Norm == "batch" && n%batch == 1
}
