package sweeps

import (
	"flag"
	"fmt"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// augmentSweep trains the same small CNN on a small MNIST subset without and
// with data augmentation and draws the learning curves: without it the
// network soon knows its few images by heart and the validation error stops
// improving; random shifts and rotations make every epoch's images new and
// keep it falling.
type augmentSweep struct {
	mnistSweep
	filters   string
	hidden    int
	augments  string
	optimizer string
	lr        float64
}

func augmentFlags(fs *flag.FlagSet) func(*sweepOut) error {
	s := &augmentSweep{mnistSweep: mnistSweep{subset: 500, val: 2000, epochs: 60, batch: "50", seed: 1},
		filters: "16,32", hidden: 128, augments: "translate=2,rotate=10;translate=3,rotate=15,cutout=8@0.5", optimizer: "adam", lr: 1e-3}
	s.register(fs)
	s.registerEpochs(fs)
	fs.StringVar(&s.filters, "filters", s.filters, "LeNet: filters of the two conv layers")
	fs.IntVar(&s.hidden, "hidden", s.hidden, "LeNet: units of the hidden linear layer")
	fs.StringVar(&s.augments, "augment", s.augments, "augmentations to compare with none, separated by ';', each in train's -augment syntax")
	fs.StringVar(&s.optimizer, "optimizer", s.optimizer, "optimizer")
	fs.Float64Var(&s.lr, "lr", s.lr, "learning rate")
	return s.run
}

// augmentRun is one line of the sweep's metrics.jsonl.
type augmentRun struct {
	Augment string `json:"augment"` // "" for none
	runResult
}

func (s *augmentSweep) run(so *sweepOut) error {
	if err := s.check(); err != nil {
		return err
	}
	variants := []string{""}
	for _, a := range strings.Split(s.augments, ";") {
		if a = strings.TrimSpace(a); a != "" {
			variants = append(variants, a)
		}
	}
	var runs []augmentRun
	for _, a := range variants {
		cfg := s.config()
		cfg.Model, cfg.Filters, cfg.Hidden, cfg.Augment = "lenet", s.filters, s.hidden, a
		cfg.Optimizer, cfg.Options = s.optimizer, map[string]float64{"lr": s.lr}
		r, err := s.setup(cfg, so)
		if err != nil {
			return err
		}
		res, err := trainRun(r, true)
		if err != nil {
			return fmt.Errorf("augment %q: %w", a, err)
		}
		ar := augmentRun{Augment: a, runResult: res}
		if err := so.record(ar); err != nil {
			return err
		}
		fmt.Fprintf(so.log, "augment %-40q train error %s, validation error %s (%.0fs)\n", a, percent(res.TrainError), percent(res.ValError), res.Seconds)
		runs = append(runs, ar)
	}
	rows := make([][]string, len(runs))
	for i, ar := range runs {
		bestVal, bestEpoch := 1.0, 0
		for _, m := range ar.Epochs {
			if v := 1 - float64(m.ValAcc); v < bestVal {
				bestVal, bestEpoch = v, m.Epoch
			}
		}
		rows[i] = []string{augmentName(ar.Augment), percent(ar.TrainError), percent(ar.ValError), percent(ar.Gap), fmt.Sprintf("%s (epoch %d)", percent(bestVal), bestEpoch)}
	}
	so.table(fmt.Sprintf("LeNet %s/%d on %d MNIST images, %d epochs", s.filters, s.hidden, s.subset, s.epochs),
		[]string{"augmentation", "train err", "val err", "gap", "best val err"}, rows)
	return plotAugment(so.path("augment.png"), runs)
}

func augmentName(a string) string {
	if a == "" {
		return "none"
	}
	return a
}

// plotAugment draws validation error per epoch and training error (in
// training mode, on the augmented images) for each variant.
func plotAugment(path string, runs []augmentRun) error {
	val := newPanel("Validation error", "epoch", "error rate (log scale)")
	train := newPanel("Training error (on the augmented images)", "epoch", "error rate (log scale)")
	logY(val)
	logY(train) // before adding: addLine drops the zeros a log axis cannot show
	for i, ar := range runs {
		v, t := make(plotter.XYs, len(ar.Epochs)), make(plotter.XYs, len(ar.Epochs))
		for j, m := range ar.Epochs {
			v[j] = plotter.XY{X: float64(m.Epoch), Y: 1 - float64(m.ValAcc)}
			t[j] = plotter.XY{X: float64(m.Epoch), Y: 1 - m.TrainAcc}
		}
		if err := addLine(val, augmentName(ar.Augment), v, i, false, false); err != nil {
			return err
		}
		if err := addLine(train, augmentName(ar.Augment), t, i, false, false); err != nil {
			return err
		}
	}
	return savePanels(path, [][]*plot.Plot{{val, train}}, 12*vg.Inch, 4.5*vg.Inch)
}
