package sweeps

import (
	"flag"
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
)

// recipesSweep trains LeNet on a small MNIST subset whose training labels are
// partly wrong, once plainly (Adam, cosine schedule, no regularization) and
// once with each of today's recipe items: label smoothing, mixup, cutmix, an
// EMA of the weights, RandAugment, a one-cycle schedule, and all of them
// together. It reports the validation and test errors and the generalization
// gap (test error − training error, the training error measured against the
// noisy labels the model was given). A run with an EMA is measured with its
// averaged weights.
type recipesSweep struct {
	mnistSweep
	filters     string
	hidden      int
	lr          float64
	smoothing   float64
	mixup       float64
	cutmix      float64
	ema         float64
	randAugment string
	maxLR       float64
}

func recipesFlags(fs *flag.FlagSet) func(*sweepOut) error {
	s := &recipesSweep{mnistSweep: mnistSweep{subset: 2000, val: 2000, noise: 0.2, epochs: 30, batch: "64", seed: 1},
		filters: "16,32", hidden: 128, lr: 1e-3, smoothing: 0.1, mixup: 0.2, cutmix: 1, ema: 0.99, randAugment: "2,9", maxLR: 3e-3}
	s.test = 2000
	s.register(fs)
	s.registerEpochs(fs)
	fs.IntVar(&s.test, "test", s.test, "test images (the first N of MNIST's test set)")
	fs.StringVar(&s.filters, "filters", s.filters, "LeNet's filters of its two conv layers")
	fs.IntVar(&s.hidden, "hidden", s.hidden, "LeNet's units of the hidden linear layer")
	fs.Float64Var(&s.lr, "lr", s.lr, "Adam's learning rate (the peak of the cosine schedule)")
	fs.Float64Var(&s.smoothing, "smoothing", s.smoothing, "label smoothing ε")
	fs.Float64Var(&s.mixup, "mixup", s.mixup, "mixup α")
	fs.Float64Var(&s.cutmix, "cutmix", s.cutmix, "cutmix α")
	fs.Float64Var(&s.ema, "ema", s.ema, "EMA decay (with warm-up)")
	fs.StringVar(&s.randAugment, "randaugment", s.randAugment, "RandAugment's N,M")
	fs.Float64Var(&s.maxLR, "max-lr", s.maxLR, "one-cycle's peak learning rate")
	return s.run
}

// recipeRun is one line of the sweep's metrics.jsonl.
type recipeRun struct {
	Recipe    string  `json:"recipe"`
	TestError float64 `json:"test_error"`
	TestLoss  float64 `json:"test_loss"`
	runResult         // Gap here is test error − training error
}

// recipeItem is one recipe item and how it changes a run's configuration.
type recipeItem struct {
	name  string
	apply func(cfg *recipe.Config)
}

func (s *recipesSweep) items() []recipeItem {
	return []recipeItem{
		{"label smoothing", func(c *recipe.Config) { c.LabelSmoothing = s.smoothing }},
		{"mixup", func(c *recipe.Config) { c.Mixup = s.mixup }},
		{"cutmix", func(c *recipe.Config) { c.Cutmix = s.cutmix }},
		{"EMA", func(c *recipe.Config) { c.EMA, c.EMAWarmup = s.ema, true }},
		{"RandAugment", func(c *recipe.Config) { c.Augment = "randaugment=" + s.randAugment }},
		{"one-cycle", func(c *recipe.Config) { c.Schedule, c.MaxLR = "onecycle", s.maxLR }},
	}
}

func (s *recipesSweep) run(so *sweepOut) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.test < 1 {
		return errNotPositive("test", s.test)
	}
	items := s.items()
	all := recipeItem{"all together", func(c *recipe.Config) {
		for _, it := range items {
			it.apply(c)
		}
	}}
	var runs []recipeRun
	for _, it := range append(append([]recipeItem{{"baseline", nil}}, items...), all) {
		cfg := s.config()
		cfg.Model, cfg.Filters, cfg.Hidden, cfg.Options = "lenet", s.filters, s.hidden, map[string]float64{"lr": s.lr}
		if it.apply != nil {
			it.apply(&cfg)
		}
		if err := cfg.Validate(); err != nil {
			return fmt.Errorf("%s: %w", it.name, err)
		}
		r, err := s.setup(cfg, so)
		if err != nil {
			return err
		}
		rr, err := measureRecipe(r, it.name)
		if err != nil {
			return fmt.Errorf("%s: %w", it.name, err)
		}
		fmt.Fprintf(so.log, "%-16s train error %s, validation error %s, test error %s, gap %s (%.0fs)\n", it.name,
			percent(rr.TrainError), percent(rr.ValError), percent(rr.TestError), percent(rr.Gap), rr.Seconds)
		if err := so.record(rr); err != nil {
			return err
		}
		runs = append(runs, rr)
	}
	rows := make([][]string, len(runs))
	for i, rr := range runs {
		rows[i] = []string{rr.Recipe, percent(rr.TrainError), percent(rr.ValError), percent(rr.TestError), percent(rr.Gap)}
	}
	so.table(fmt.Sprintf("LeNet (%s filters, %d hidden) on %d MNIST images, %.0f%% of their labels wrong, %d epochs; %d validation and %d test images",
		s.filters, s.hidden, s.subset, 100*s.noise, s.epochs, s.val, s.test),
		[]string{"recipe", "train err", "val err", "test err", "gap", ""}, rows)
	panels, err := plotRecipes(runs)
	if err != nil {
		return err
	}
	return savePanels(so.path("recipes.png"), [][]*plot.Plot{panels}, 12*vg.Inch, 5*vg.Inch)
}

// measureRecipe trains r and measures training (noisy labels), validation
// and test error, with the EMA's weights when the run keeps an EMA.
func measureRecipe(r *recipe.Run, name string) (recipeRun, error) {
	val, test := r.Data.Val, r.Data.Test
	// No evaluation during training: the figures are measured once, below.
	r.Data.Val, r.Data.Test = &data.Dataset{Classes: val.Classes}, &data.Dataset{Classes: test.Classes}
	f, err := r.Train()
	r.Data.Val, r.Data.Test = val, test
	if err != nil {
		return recipeRun{}, err
	}
	if r.Cfg.EMA > 0 {
		weights, err := r.Trainer.EMAWeights()
		if err != nil {
			return recipeRun{}, err
		}
		averaged := make(map[string][]float32, len(weights))
		for _, p := range weights {
			averaged[p.Name] = p.Value.F32
		}
		if err := r.Trainer.RestoreParams(averaged); err != nil {
			return recipeRun{}, err
		}
	}
	rr := recipeRun{Recipe: name, runResult: runResult{Params: r.Trainer.Model().NumParams(), Seconds: f.Seconds, Epochs: r.History}}
	for _, m := range []struct {
		split      *data.Dataset
		loss, errs *float64
	}{{r.Data.Train, &rr.TrainLoss, &rr.TrainError}, {val, &rr.ValLoss, &rr.ValError}, {test, &rr.TestLoss, &rr.TestError}} {
		loss, acc, err := r.Evaluate(m.split)
		if err != nil {
			return recipeRun{}, err
		}
		*m.loss, *m.errs = float64(loss), 1-float64(acc)
	}
	rr.Gap = rr.TestError - rr.TrainError
	return rr, nil
}

// recipeSeries is one figure of every run, drawn as points.
type recipeSeries struct {
	name string
	get  func(recipeRun) float64
}

// plotRecipes draws two panels over the recipes: validation and test error,
// with the baseline's test error as a dashed line across; and training error
// (against the noisy labels) with the generalization gap.
func plotRecipes(runs []recipeRun) ([]*plot.Plot, error) {
	names := make([]string, len(runs))
	for i, rr := range runs {
		names[i] = rr.Recipe
	}
	panel := func(title string, series ...recipeSeries) (*plot.Plot, error) {
		p := newPanel(title, "", "error rate")
		p.NominalX(names...)
		p.X.Tick.Label.Rotation, p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = 0.5, draw.XRight, draw.YCenter
		for k, sr := range series {
			xys := make(plotter.XYs, len(runs))
			for i, rr := range runs {
				xys[i] = plotter.XY{X: float64(i), Y: sr.get(rr)}
			}
			if err := addPoints(p, sr.name, xys, plotutil.Color(k), plotutil.Shape(k), vg.Points(4)); err != nil {
				return nil, err
			}
		}
		p.Legend.Top = true
		return p, nil
	}
	errs, err := panel("Validation and test error",
		recipeSeries{"validation", func(r recipeRun) float64 { return r.ValError }},
		recipeSeries{"test", func(r recipeRun) float64 { return r.TestError }})
	if err != nil {
		return nil, err
	}
	base := runs[0].TestError
	line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: base}, {X: float64(len(runs) - 1), Y: base}})
	if err != nil {
		return nil, err
	}
	line.Color, line.Dashes = color.Gray{Y: 120}, plotutil.Dashes(1)
	errs.Add(line)
	errs.Legend.Add("baseline's test error", line)
	fit, err := panel("Training error (noisy labels) and gap",
		recipeSeries{"train", func(r recipeRun) float64 { return r.TrainError }},
		recipeSeries{"gap (test − train)", func(r recipeRun) float64 { return r.Gap }})
	if err != nil {
		return nil, err
	}
	return []*plot.Plot{errs, fit}, nil
}
