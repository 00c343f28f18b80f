package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// writeMetrics rewrites metrics.jsonl from the run's history.
func writeMetrics(dir string, history []recipe.EpochMetrics, final *recipe.FinalMetrics) error {
	return writeAtomic(filepath.Join(dir, "metrics.jsonl"), func(f *os.File) error {
		enc := json.NewEncoder(f)
		for _, m := range history {
			if err := enc.Encode(m); err != nil {
				return err
			}
		}
		if final != nil {
			return enc.Encode(final)
		}
		return nil
	})
}

func writeJSON(path string, v any) error {
	return writeAtomic(path, func(f *os.File) error {
		enc := json.NewEncoder(f)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// plotCurves draws training against validation per epoch: loss.png and
// error.png.
func plotCurves(dir string, history []recipe.EpochMetrics) error {
	if len(history) == 0 {
		return nil
	}
	curves := []struct {
		file, title, y string
		train, val     func(recipe.EpochMetrics) float64
	}{
		{"loss.png", "Loss", "cross-entropy", func(m recipe.EpochMetrics) float64 { return m.TrainLoss }, func(m recipe.EpochMetrics) float64 { return float64(m.ValLoss) }},
		{"error.png", "Error", "error rate", func(m recipe.EpochMetrics) float64 { return 1 - m.TrainAcc }, func(m recipe.EpochMetrics) float64 { return 1 - float64(m.ValAcc) }},
	}
	for _, c := range curves {
		p := plot.New()
		p.Title.Text = c.title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = c.y
		train, val := make(plotter.XYs, len(history)), make(plotter.XYs, len(history))
		for i, m := range history {
			train[i] = plotter.XY{X: float64(m.Epoch), Y: c.train(m)}
			val[i] = plotter.XY{X: float64(m.Epoch), Y: c.val(m)}
		}
		if err := plotutil.AddLinePoints(p, "train", train, "validation", val); err != nil {
			return err
		}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		if err := p.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(dir, c.file)); err != nil {
			return fmt.Errorf("writing %s: %w", c.file, err)
		}
	}
	return nil
}
