package sweeps

import (
	"flag"
	"fmt"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// capacitySweep trains one model per capacity (LeNet filters, or MLP width)
// on a small MNIST subset long enough to fit it, and shows training error
// falling with capacity while validation error falls, then rises again once
// the model has room to learn the training set's label noise by heart.
//
// LeNet is the default because it shows the rise clearly; MLPs on MNIST's
// 784 inputs memorize noisy labels with little harm to the validation error
// (with 20% noise, widths 32 to 256 differ by under two points), the benign
// overfitting of wide networks.
type capacitySweep struct {
	mnistSweep
	model      string
	capacities string
	depth      int
	optimizer  string
	lr         float64
}

func capacityFlags(fs *flag.FlagSet) func(*sweepOut) error {
	c := &capacitySweep{mnistSweep: mnistSweep{subset: 1000, val: 5000, noise: 0.2, epochs: 40, batch: "50", seed: 1},
		model: "lenet", capacities: "1,2,4,8,16,32", depth: 1, optimizer: "adam", lr: 1e-3}
	c.register(fs)
	c.registerEpochs(fs)
	fs.StringVar(&c.model, "model", c.model, "mlp (capacity: units per hidden layer) or lenet (capacity: filters of the first conv layer, twice as many in the second)")
	fs.StringVar(&c.capacities, "capacities", c.capacities, "comma-separated capacities, smallest first")
	fs.IntVar(&c.depth, "depth", c.depth, "mlp: hidden layers")
	fs.StringVar(&c.optimizer, "optimizer", c.optimizer, "optimizer")
	fs.Float64Var(&c.lr, "lr", c.lr, "learning rate")
	return c.run
}

// capacityRun is one line of the sweep's metrics.jsonl.
type capacityRun struct {
	Model    string `json:"model"`
	Capacity int    `json:"capacity"`
	runResult
}

func (c *capacitySweep) config(capacity int) (recipe.Config, error) {
	cfg := c.mnistSweep.config()
	cfg.Model, cfg.Optimizer, cfg.Options = c.model, c.optimizer, map[string]float64{"lr": c.lr}
	switch c.model {
	case "mlp":
		cfg.Depth, cfg.Width = c.depth, capacity
	case "lenet":
		cfg.Filters, cfg.Hidden = fmt.Sprintf("%d,%d", capacity, 2*capacity), 8*capacity
	default:
		return cfg, fmt.Errorf("flag -model: unknown %q (want mlp or lenet)", c.model)
	}
	return cfg, nil
}

func (c *capacitySweep) run(so *sweepOut) error {
	if err := c.check(); err != nil {
		return err
	}
	caps, err := positiveInts("capacities", c.capacities)
	if err != nil {
		return err
	}
	var runs []capacityRun
	best := 0
	for i, capacity := range caps {
		cfg, err := c.config(capacity)
		if err != nil {
			return err
		}
		r, err := c.setup(cfg, so)
		if err != nil {
			return err
		}
		res, err := trainRun(r, false)
		if err != nil {
			return fmt.Errorf("capacity %d: %w", capacity, err)
		}
		cr := capacityRun{Model: c.model, Capacity: capacity, runResult: res}
		if err := so.record(cr); err != nil {
			return err
		}
		fmt.Fprintf(so.log, "capacity %d: train error %s, validation error %s (%.0fs)\n", capacity, percent(res.TrainError), percent(res.ValError), res.Seconds)
		runs = append(runs, cr)
		if res.ValError < runs[best].ValError {
			best = i
		}
	}
	rows := make([][]string, len(runs))
	for i, cr := range runs {
		mark := ""
		if i == best {
			mark = "best"
		}
		rows[i] = []string{strconv.Itoa(cr.Capacity), strconv.Itoa(cr.Params), percent(cr.TrainError), percent(cr.ValError), percent(cr.Gap), mark}
	}
	unit := "width"
	if c.model == "lenet" {
		unit = "filters"
	}
	so.table(fmt.Sprintf("%s capacity on %d MNIST images with %.0f%% label noise, %d epochs", c.model, c.subset, 100*c.noise, c.epochs),
		[]string{unit, "params", "train err", "val err", "gap", ""}, rows)
	return plotCapacity(so.path("capacity.png"), c.model, unit, runs, best)
}

func plotCapacity(path, model, unit string, runs []capacityRun, best int) error {
	p := newPanel(fmt.Sprintf("%s: error against capacity", model), unit+" (log scale)", "error rate")
	logX(p)
	train, val := make(plotter.XYs, len(runs)), make(plotter.XYs, len(runs))
	caps := make([]float64, len(runs))
	for i, cr := range runs {
		caps[i] = float64(cr.Capacity)
		train[i] = plotter.XY{X: float64(cr.Capacity), Y: cr.TrainError}
		val[i] = plotter.XY{X: float64(cr.Capacity), Y: cr.ValError}
	}
	valueTicks(&p.X, caps)
	if err := addLine(p, "train (noisy labels)", train, 0, false, true); err != nil {
		return err
	}
	if err := addLine(p, "validation", val, 1, false, true); err != nil {
		return err
	}
	if err := markBest(p, fmt.Sprintf("best: %s %d", unit, runs[best].Capacity), val[best]); err != nil {
		return err
	}
	return savePanels(path, [][]*plot.Plot{{p}}, 7*vg.Inch, 4.5*vg.Inch)
}
