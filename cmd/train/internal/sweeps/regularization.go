package sweeps

import (
	"flag"
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// regularizationSweep trains a large MLP on a small MNIST subset without
// regularization and with each cure at several strengths: the L2 (ridge) and
// L1 (lasso) penalties, both together (elastic net), and dropout. Each shows
// the generalization gap (validation error − training error) closing as the
// strength grows, until the model underfits.
//
// By default a fifth of the training labels are wrong, which the
// unregularized model learns by heart: its training error (measured against
// the labels it was given) drops to zero while the validation error stays
// high. A well-regularized model does not fit the wrong labels, so its
// training error approaches the noise rate and the gap may turn negative.
type regularizationSweep struct {
	mnistSweep
	depth, width int
	optimizer    string
	lr           float64
	l2, l1       string
	elastic      string
	elasticRatio float64
	dropout      string
}

func regularizationFlags(fs *flag.FlagSet) func(*sweepOut) error {
	s := &regularizationSweep{mnistSweep: mnistSweep{subset: 1000, val: 5000, noise: 0.2, epochs: 40, batch: "50", seed: 1},
		depth: 2, width: 256, optimizer: "adam", lr: 1e-3,
		l2: "1e-3,3e-3,1e-2,3e-2,0.1", l1: "3e-5,1e-4,3e-4,1e-3,3e-3", elastic: "3e-4,1e-3,3e-3,1e-2,3e-2", elasticRatio: 0.1,
		dropout: "0.2,0.4,0.6,0.8"}
	s.register(fs)
	s.registerEpochs(fs)
	fs.IntVar(&s.depth, "depth", s.depth, "hidden layers of the MLP")
	fs.IntVar(&s.width, "width", s.width, "units per hidden layer")
	fs.StringVar(&s.optimizer, "optimizer", s.optimizer, "optimizer")
	fs.Float64Var(&s.lr, "lr", s.lr, "learning rate")
	fs.StringVar(&s.l2, "l2", s.l2, "L2 strengths λ2 (penalty ½·λ2·Σw² on weights)")
	fs.StringVar(&s.l1, "l1", s.l1, "L1 strengths λ1 (penalty λ1·Σ|w| on weights)")
	fs.StringVar(&s.elastic, "elastic", s.elastic, "elastic-net strengths λ: λ2 = λ, λ1 = λ·-elastic-ratio")
	fs.Float64Var(&s.elasticRatio, "elastic-ratio", s.elasticRatio, "elastic net: λ1/λ2")
	fs.StringVar(&s.dropout, "dropout", s.dropout, "dropout probabilities p after each hidden layer")
	return s.run
}

// regularizationRun is one line of the sweep's metrics.jsonl.
type regularizationRun struct {
	Method   string  `json:"method"`   // none, l2, l1, elastic or dropout
	Strength float64 `json:"strength"` // λ, or p
	L1       float64 `json:"l1"`
	L2       float64 `json:"l2"`
	Dropout  float64 `json:"dropout"`
	runResult
}

// regularization is one method's strengths and how each configures a run.
type regularization struct {
	method, label string
	strengths     []float64
	apply         func(cfg *recipe.Config, strength float64)
}

func (s *regularizationSweep) methods() ([]regularization, error) {
	if !(s.elasticRatio >= 0) || math.IsInf(s.elasticRatio, 0) {
		return nil, fmt.Errorf("flag -elastic-ratio: %v is not a finite non-negative number", s.elasticRatio)
	}
	var ms []regularization
	for _, m := range []struct {
		method, label, list string
		apply               func(cfg *recipe.Config, v float64)
	}{
		{"l2", "L2 penalty λ2", s.l2, func(cfg *recipe.Config, v float64) { cfg.L2 = v }},
		{"l1", "L1 penalty λ1", s.l1, func(cfg *recipe.Config, v float64) { cfg.L1 = v }},
		{"elastic", fmt.Sprintf("elastic net λ (λ1 = %gλ)", s.elasticRatio), s.elastic, func(cfg *recipe.Config, v float64) { cfg.L2, cfg.L1 = v, v*s.elasticRatio }},
		{"dropout", "dropout p", s.dropout, func(cfg *recipe.Config, v float64) { cfg.Dropout = v }},
	} {
		v, err := floatList(m.method, m.list)
		if err != nil {
			return nil, err
		}
		ms = append(ms, regularization{m.method, m.label, v, m.apply})
	}
	return ms, nil
}

func (s *regularizationSweep) run(so *sweepOut) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.depth < 1 || s.width < 1 {
		return fmt.Errorf("flags -depth %d -width %d: need a hidden layer of at least one unit", s.depth, s.width)
	}
	methods, err := s.methods()
	if err != nil {
		return err
	}
	train := func(method string, strength float64, apply func(*recipe.Config, float64)) (regularizationRun, error) {
		cfg := s.config()
		cfg.Depth, cfg.Width, cfg.Optimizer, cfg.Options = s.depth, s.width, s.optimizer, map[string]float64{"lr": s.lr}
		if apply != nil {
			apply(&cfg, strength)
		}
		r, err := s.setup(cfg, so)
		if err != nil {
			return regularizationRun{}, err
		}
		res, err := trainRun(r, false)
		if err != nil {
			return regularizationRun{}, fmt.Errorf("%s %g: %w", method, strength, err)
		}
		rr := regularizationRun{Method: method, Strength: strength, L1: cfg.L1, L2: cfg.L2, Dropout: cfg.Dropout, runResult: res}
		fmt.Fprintf(so.log, "%-8s %-7g train error %s, validation error %s, gap %s (%.0fs)\n", method, strength,
			percent(res.TrainError), percent(res.ValError), percent(res.Gap), res.Seconds)
		return rr, so.record(rr)
	}
	base, err := train("none", 0, nil)
	if err != nil {
		return err
	}
	rows := [][]string{{"none", "0", percent(base.TrainError), percent(base.ValError), percent(base.Gap)}}
	panels := make([][]*plot.Plot, 2)
	for i, m := range methods {
		runs, best := []regularizationRun{base}, 0
		for _, v := range m.strengths {
			rr, err := train(m.method, v, m.apply)
			if err != nil {
				return err
			}
			if rr.ValError < runs[best].ValError {
				best = len(runs)
			}
			runs = append(runs, rr)
		}
		for j, rr := range runs[1:] {
			row := []string{m.method, general(rr.Strength), percent(rr.TrainError), percent(rr.ValError), percent(rr.Gap)}
			if j+1 == best {
				row = append(row, "best")
			}
			rows = append(rows, row)
		}
		p, err := plotRegularization(m.label, runs, best)
		if err != nil {
			return err
		}
		panels[i/2] = append(panels[i/2], p)
	}
	so.table(fmt.Sprintf("MLP %d×%d on %d MNIST images, %d epochs", s.depth, s.width, s.subset, s.epochs),
		[]string{"method", "λ or p", "train err", "val err", "gap", ""}, rows)
	return savePanels(so.path("regularization.png"), panels, 12*vg.Inch, 8*vg.Inch)
}

// plotRegularization draws training error, validation error and their gap
// against the strengths of one method, the first point being no
// regularization, the best validation error circled.
func plotRegularization(label string, runs []regularizationRun, best int) (*plot.Plot, error) {
	p := newPanel(label, label, "error rate")
	names := make([]string, len(runs))
	train, val, gap := make(plotter.XYs, len(runs)), make(plotter.XYs, len(runs)), make(plotter.XYs, len(runs))
	for i, rr := range runs {
		names[i] = general(rr.Strength)
		train[i] = plotter.XY{X: float64(i), Y: rr.TrainError}
		val[i] = plotter.XY{X: float64(i), Y: rr.ValError}
		gap[i] = plotter.XY{X: float64(i), Y: rr.Gap}
	}
	p.NominalX(names...)
	for i, c := range []struct {
		name string
		xys  plotter.XYs
	}{{"train", train}, {"validation", val}, {"gap", gap}} {
		if err := addLine(p, c.name, c.xys, i, c.name == "gap", true); err != nil {
			return nil, err
		}
	}
	return p, markBest(p, "best", val[best])
}
