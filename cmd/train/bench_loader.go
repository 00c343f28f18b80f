package main

import (
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/cputime"
)

// loaderBench is train bench -loader: the streaming loader's throughput on
// ImageNet training (augment.ImageNetTrainLoader over a generated folder of
// 500×375 JPEGs) for 1, 2, … workers.
type loaderBench struct {
	images, maxWorkers, epochs int
}

// Bounds of the -loader flags.
const (
	maxLoaderImages = 100000
	maxLoaderEpochs = 1000
)

func (lb loaderBench) check() error {
	switch {
	case lb.images < 1 || lb.images > maxLoaderImages:
		return fmt.Errorf("flag -loader-images: %d is not in [1, %d]", lb.images, maxLoaderImages)
	case lb.maxWorkers < 0 || lb.maxWorkers > 1024:
		return fmt.Errorf("flag -loader-workers: %d is not in [0, 1024]", lb.maxWorkers)
	case lb.epochs < 1 || lb.epochs > maxLoaderEpochs:
		return fmt.Errorf("flag -loader-epochs: %d is not in [1, %d]", lb.epochs, maxLoaderEpochs)
	}
	return nil
}

// run writes the JPEGs into a temporary folder, then measures each worker
// count in turn and prints one line per count into w.
func (lb loaderBench) run(w io.Writer) error {
	if err := lb.check(); err != nil {
		return err
	}
	maxWorkers := lb.maxWorkers
	if maxWorkers == 0 {
		maxWorkers = runtime.GOMAXPROCS(0)
	}
	dir, err := os.MkdirTemp("", "descent-loader-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := augment.WritePhotoFolder(dir, lb.images, 4, 500, 375, 1); err != nil {
		return err
	}
	src, _, err := data.OpenFolder(dir, data.StreamOptions{})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "decode + RandomResizedCrop(224) + flip + normalize of %d 500×375 JPEGs, %d epoch(s), batch 32, %d cores\n",
		lb.images, lb.epochs, runtime.NumCPU())
	fmt.Fprintf(w, "%7s  %10s  %14s\n", "workers", "images/s", "images/cpu-s")
	for workers := 1; workers <= maxWorkers; workers++ {
		l, err := augment.ImageNetTrainLoader(src, 224, 32, workers, 1)
		if err != nil {
			return err
		}
		cpu0, err := cputime.Seconds()
		if err != nil {
			return err
		}
		perSec, err := augment.MeasureLoader(l, lb.epochs)
		if err != nil {
			return err
		}
		cpu1, err := cputime.Seconds()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%7d  %10.1f  %14.1f\n", workers, perSec, float64(lb.images*lb.epochs)/(cpu1-cpu0))
	}
	return nil
}
