package recipe

import (
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
)

// DatasetKinds are the values of -dataset: MNIST and CIFAR-10 are read into
// memory; folder, csv and tar are streamed, each image decoded by the
// loader's workers when a batch needs it.
var DatasetKinds = []string{"mnist", "cifar10", "folder", "csv", "tar"}

// streamed reports whether -dataset is one of the streamed kinds.
func (c *Config) streamed() bool {
	return c.Dataset == "folder" || c.Dataset == "csv" || c.Dataset == "tar"
}

// registerStreamFlags binds the flags of the streamed datasets.
func (c *Config) registerStreamFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Manifest, "manifest", c.Manifest, "csv: the manifest, rows path,label (paths relative to the manifest, labels class names or indices)")
	fs.StringVar(&c.BadImages, "bad-images", c.BadImages, "folder, csv, tar: an image that cannot be read or decoded is an error naming it (fail), or is left out and counted (skip)")
}

// openStream lists the configured streamed dataset without decoding it; val
// is the ImageNet layout's validation folder (nil otherwise).
func (c *Config) openStream() (train, val *data.Stream, err error) {
	opts := data.StreamOptions{MaxPixels: c.MaxImagePixels}
	switch c.Dataset {
	case "folder":
		if c.DataDir == "" {
			return nil, nil, fmt.Errorf("flag -data-dir: folder needs a folder with one subfolder per class (or train/ and val/ ones)")
		}
		if train, val, err = data.OpenFolder(c.DataDir, opts); err != nil {
			return nil, nil, fmt.Errorf("flag -data-dir %s: %w", c.DataDir, err)
		}
	case "csv":
		if c.Manifest == "" {
			return nil, nil, fmt.Errorf("flag -manifest: csv needs the manifest file")
		}
		if train, err = data.OpenManifest(c.Manifest, opts); err != nil {
			return nil, nil, fmt.Errorf("flag -manifest %s: %w", c.Manifest, err)
		}
	case "tar":
		if c.DataDir == "" {
			return nil, nil, fmt.Errorf("flag -data-dir: tar needs the folder of the *.tar shards")
		}
		if train, err = data.OpenShards(c.DataDir, opts); err != nil {
			return nil, nil, fmt.Errorf("flag -data-dir %s: %w", c.DataDir, err)
		}
	}
	return train, val, nil
}

// loadStream lists, splits and describes a streamed dataset. Its images are
// resized to -image-size and normalized with ImageNet's statistics (the
// statistics of a training split that is never held in memory would cost a
// pass over it; ImageNet's are what pretrained weights expect).
func (c *Config) loadStream() (*Dataset, error) {
	train, val, err := c.openStream()
	if err != nil {
		return nil, err
	}
	listing := fmt.Sprintf("%s: %s", c.Dataset, train.Summary())
	if val != nil {
		listing += fmt.Sprintf("; val/: %s, the validation split", val.Summary())
	}
	ratios, err := data.ParseRatios(c.Split)
	if err != nil {
		return nil, fmt.Errorf("flag -split: %w", err)
	}
	splits, err := data.SplitStream(train, val, nil, ratios, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("flag -split %s: %w", c.Split, err)
	}
	if c.Subset > 0 && c.Subset < splits.Train.Len() {
		splits.Train = splits.Train.Subset(firstN(c.Subset))
	}
	if splits.Train.Len() == 0 {
		return nil, fmt.Errorf("flag -split %s leaves no training samples", c.Split)
	}
	empty := &data.Dataset{Classes: train.Classes}
	d := &Dataset{Splits: data.Splits{Train: empty, Val: empty, Test: empty}, Stream: &splits, Listing: listing,
		Classes: train.Classes, C: train.Channels(), H: c.ImageSize, W: c.ImageSize}
	d.TrainResize, d.Resize = c.streamTransforms()
	if d.InputMode, d.InputStats, err = c.streamNormalization(d.C); err != nil {
		return nil, err
	}
	if d.Normalizer, err = data.NewNormalizer(d.InputMode, d.InputStats); err != nil {
		return nil, fmt.Errorf("flag -input-norm: %w", err)
	}
	return d, nil
}

func firstN(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// TrainSource, ValSource and TestSource are the splits as the loaders read
// them: the streamed ones, or those held in memory.
func (d *Dataset) TrainSource() data.Source {
	if d.Stream != nil {
		return d.Stream.Train
	}
	return d.Train
}

func (d *Dataset) ValSource() data.Source {
	if d.Stream != nil {
		return d.Stream.Val
	}
	return d.Val
}

func (d *Dataset) TestSource() data.Source {
	if d.Stream != nil {
		return d.Stream.Test
	}
	return d.Test
}

// skipBadImages configures a loader for -bad-images.
func (c *Config) skipBadImages(lc *augment.Config) {
	if c.BadImages != "skip" {
		return
	}
	lc.SkipBadImages = true
	lc.Logf = func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "train: -bad-images skip: "+format+"\n", args...)
	}
}

// imageError names -max-image-pixels in the error of an image whose header
// declares more pixels than it allows.
func (c *Config) imageError(err error) error {
	if errors.Is(err, data.ErrImageTooLarge) {
		return fmt.Errorf("%w (flag -max-image-pixels %d)", err, c.MaxImagePixels)
	}
	return err
}
