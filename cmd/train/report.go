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
	"github.com/descent-ml/descent/internal/runfolder"
)

// writeMetrics rewrites metrics.jsonl from the run's history.
func writeMetrics(dir string, history []recipe.EpochMetrics, final *recipe.FinalMetrics) error {
	return runfolder.WriteAtomic(filepath.Join(dir, "metrics.jsonl"), func(f *os.File) error {
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
	return runfolder.WriteAtomic(path, func(f *os.File) error {
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
		train, val := make(plotter.XYs, len(history)), make(plotter.XYs, 0, len(history))
		for i, m := range history {
			train[i] = plotter.XY{X: float64(m.Epoch), Y: c.train(m)}
			if v := c.val(m); isFinite(v) { // NaN: no validation split
				val = append(val, plotter.XY{X: float64(m.Epoch), Y: v})
			}
		}
		curves := []any{"train", train}
		if len(val) > 0 {
			curves = append(curves, "validation", val)
		}
		if err := plotutil.AddLinePoints(p, curves...); err != nil {
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
