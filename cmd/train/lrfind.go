package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
)

// lrFindCommand is `train lr-find`: Smith's learning-rate range test on the
// model and data the training flags describe. It writes the plot of loss
// against rate and prints the suggested rate; no model is saved.
func lrFindCommand(args []string) error {
	fs := flag.NewFlagSet("lr-find", flag.ContinueOnError)
	cfg := recipe.DefaultConfig()
	cfg.RegisterFlags(fs)
	of := recipe.RegisterOptimizerFlags(fs)
	rt := recipe.DefaultLRRange()
	fs.Float64Var(&rt.Start, "start-lr", rt.Start, "the rate of the first step")
	fs.Float64Var(&rt.End, "end-lr", rt.End, "the rate of the last step")
	fs.IntVar(&rt.Steps, "steps", rt.Steps, "training steps from -start-lr to -end-lr (exponentially spaced rates)")
	fs.Float64Var(&rt.Smoothing, "smoothing", rt.Smoothing, "β of the loss's moving average")
	fs.Float64Var(&rt.Diverge, "diverge", rt.Diverge, "stop once the smoothed loss exceeds this many times its best")
	plotPath := fs.String("plot", "lr-find.png", "PNG of the loss against the learning rate")
	if err := recipe.ParseFlags(fs, args); err != nil {
		return err
	}
	of.Collect(fs, &cfg)
	if err := rt.Check(); err != nil {
		return err
	}
	if filepath.Ext(*plotPath) != ".png" {
		return fmt.Errorf("flag -plot %s: want a .png file", *plotPath)
	}
	var onlyFlag string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "schedule" || f.Name == "warmup" || f.Name == "accumulate" || f.Name == "epochs" {
			onlyFlag = f.Name
		}
	})
	if onlyFlag != "" {
		return fmt.Errorf("flag -%s: lr-find sets the rate of every step itself, one batch per step; leave -%s to training", onlyFlag, onlyFlag)
	}
	cfg.Schedule, cfg.Warmup = "none", 0
	if err := cfg.Validate(); err != nil {
		return err
	}
	r, err := recipe.Setup(cfg, io.Discard)
	if err != nil {
		return err
	}
	r.Data.Val = &data.Dataset{Classes: r.Data.Classes} // no evaluation between epochs
	f, err := r.FindLR(rt)
	if err != nil {
		return err
	}
	if err := plotLRFinding(*plotPath, f); err != nil {
		return err
	}
	last := f.Points[len(f.Points)-1]
	end := fmt.Sprintf("reached %.3g", last.LR)
	if f.Diverged {
		end = fmt.Sprintf("the loss exploded at %.3g", last.LR)
	}
	fmt.Printf("lr-find: %d steps from %.3g, %s; plot in %s\n", len(f.Points), rt.Start, end, *plotPath)
	if math.IsNaN(f.Suggested) {
		return fmt.Errorf("lr-find: %d steps are too few to suggest a rate; raise -end-lr or -steps", len(f.Points))
	}
	fmt.Printf("suggested learning rate %.3g (steepest descent of the smoothed loss)\n", f.Suggested)
	return nil
}

// plotLRFinding draws the loss and its smoothed curve against the rate
// (logarithmic axis), with the suggested rate marked.
func plotLRFinding(path string, f *recipe.LRFinding) error {
	p := plot.New()
	p.Title.Text = "Learning-rate range test"
	p.X.Label.Text = "learning rate"
	p.Y.Label.Text = "training loss"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = powersOfTen{}
	raw, smoothed := make(plotter.XYs, 0, len(f.Points)), make(plotter.XYs, 0, len(f.Points))
	for _, pt := range f.Points {
		if isFinite(pt.Loss) {
			raw = append(raw, plotter.XY{X: pt.LR, Y: pt.Loss})
		}
		if isFinite(pt.Smoothed) {
			smoothed = append(smoothed, plotter.XY{X: pt.LR, Y: pt.Smoothed})
		}
	}
	if err := plotutil.AddLines(p, "loss", raw, "smoothed", smoothed); err != nil {
		return err
	}
	// The explosion at the end would flatten the rest: the axis stops at
	// twice the first smoothed loss.
	if len(smoothed) > 0 {
		p.Y.Max = min(p.Y.Max, 2*smoothed[0].Y)
	}
	if isFinite(f.Suggested) {
		for _, pt := range f.Points {
			if pt.LR == f.Suggested {
				s, err := plotter.NewScatter(plotter.XYs{{X: pt.LR, Y: pt.Smoothed}})
				if err != nil {
					return err
				}
				p.Add(s)
				p.Legend.Add(fmt.Sprintf("suggested %.3g", f.Suggested), s)
			}
		}
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	if err := p.Save(6*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("flag -plot: writing %s: %w", path, err)
	}
	return nil
}

// powersOfTen labels a logarithmic axis at its powers of ten, 1e-05 style.
type powersOfTen struct{}

func (powersOfTen) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		if v := math.Pow(10, e); v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: fmt.Sprintf("%.0e", v)})
		}
	}
	return ticks
}
