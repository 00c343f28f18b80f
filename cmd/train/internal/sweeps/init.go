package sweeps

import (
	"flag"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/graph"
)

// initSweep trains deep MLPs (sigmoid, tanh and ReLU) from different initial
// weights, with and without input normalization and batch norm, and measures
// the gradient norm ‖∂L/∂W‖ of every linear layer during the first steps.
// With naive N(0, 1) weights a sigmoid or tanh network saturates and its
// early layers get almost no gradient (vanishing), a ReLU network's
// activations and gradients grow layer after layer (exploding); tiny weights
// make every signal shrink instead. Xavier (for sigmoid and tanh) and He (for
// ReLU) keep the gradient norm about the same across depth, and batch norm
// repairs even the naive start.
type initSweep struct {
	mnistSweep
	depth, width int
	steps        int
	gradSteps    int
	activations  string
	optimizer    string
	lr, momentum float64
}

func initFlags(fs *flag.FlagSet) func(*sweepOut) error {
	s := &initSweep{mnistSweep: mnistSweep{subset: 5000, val: 2000, epochs: 1, batch: "64", seed: 1},
		depth: 10, width: 128, steps: 400, gradSteps: 10, activations: "sigmoid,tanh,relu", optimizer: "sgd", lr: 0.01, momentum: 0.9}
	s.register(fs)
	fs.IntVar(&s.depth, "depth", s.depth, "hidden layers")
	fs.IntVar(&s.width, "width", s.width, "units per hidden layer")
	fs.IntVar(&s.steps, "steps", s.steps, "training steps per run")
	fs.IntVar(&s.gradSteps, "grad-steps", s.gradSteps, "gradient norms are averaged over this many first steps")
	fs.StringVar(&s.activations, "activations", s.activations, "comma-separated activations: sigmoid, tanh, relu")
	fs.StringVar(&s.optimizer, "optimizer", s.optimizer, "optimizer")
	fs.Float64Var(&s.lr, "lr", s.lr, "learning rate")
	fs.Float64Var(&s.momentum, "momentum", s.momentum, "SGD momentum")
	return s.run
}

// initSetting is one way to start a deep network.
type initSetting struct {
	Name      string  `json:"name"`
	Init      string  `json:"init"`
	Std       float64 `json:"init_std,omitempty"`
	InputNorm string  `json:"input_norm"`
	BatchNorm bool    `json:"batch_norm"`
}

// settings returns the starts tried for an activation: naive N(0, 1), tiny
// N(0, 0.01²), the init derived for the activation, with and without input
// normalization, and N(0, 1) repaired by batch norm.
func settings(activation string) []initSetting {
	good, goodName := "xavier_normal", "Xavier"
	var extra []initSetting
	if activation == "relu" {
		good, goodName = "kaiming_normal", "He"
		extra = []initSetting{{Name: "Xavier", Init: "xavier_normal", InputNorm: "standardize"}}
	}
	return append(append([]initSetting{
		{Name: "N(0,1)", Init: "normal", Std: 1, InputNorm: "standardize"},
		{Name: "N(0,0.01²)", Init: "normal", Std: 0.01, InputNorm: "standardize"},
	}, extra...),
		initSetting{Name: goodName, Init: good, InputNorm: "standardize"},
		initSetting{Name: goodName + ", raw input", Init: good, InputNorm: "none"},
		initSetting{Name: "N(0,1) + batch norm", Init: "normal", Std: 1, InputNorm: "standardize", BatchNorm: true},
		initSetting{Name: "N(0,0.01²) + batch norm", Init: "normal", Std: 0.01, InputNorm: "standardize", BatchNorm: true},
	)
}

// initRun is one line of the sweep's metrics.jsonl.
type initRun struct {
	Activation string `json:"activation"`
	initSetting
	// GradNorms[i] is the mean ‖∂L/∂W‖ of linear layer i+1 (the last being
	// the output layer) over the first grad-steps steps; null when not finite.
	GradNorms []recipe.Metric `json:"grad_norms"`
	stepLog
	ValError recipe.Metric `json:"val_error"`
	ValLoss  recipe.Metric `json:"val_loss"`
}

func (s *initSweep) check() error {
	if err := s.mnistSweep.check(); err != nil {
		return err
	}
	switch {
	case s.depth < 1 || s.width < 1:
		return fmt.Errorf("flags -depth %d -width %d: need a hidden layer of at least one unit", s.depth, s.width)
	case s.steps < 1:
		return errNotPositive("steps", s.steps)
	case s.gradSteps < 1 || s.gradSteps > s.steps:
		return fmt.Errorf("flag -grad-steps: %d is not in [1, -steps]", s.gradSteps)
	}
	return nil
}

func (s *initSweep) run(so *sweepOut) error {
	if err := s.check(); err != nil {
		return err
	}
	var acts []string
	for _, a := range strings.Split(s.activations, ",") {
		a = strings.TrimSpace(a)
		if a != "sigmoid" && a != "tanh" && a != "relu" {
			return fmt.Errorf("flag -activations: unknown %q (want sigmoid, tanh or relu)", a)
		}
		acts = append(acts, a)
	}
	var gradPanels, lossPanels []*plot.Plot
	var rows [][]string
	for _, act := range acts {
		var runs []initRun
		for _, set := range settings(act) {
			ir, err := s.train(act, set, so)
			if err != nil {
				return err
			}
			if err := so.record(ir); err != nil {
				return err
			}
			runs = append(runs, ir)
			rows = append(rows, ir.row())
		}
		gp, lp, err := plotInit(act, s.depth, runs)
		if err != nil {
			return err
		}
		gradPanels, lossPanels = append(gradPanels, gp), append(lossPanels, lp)
	}
	so.table(fmt.Sprintf("MLP %d×%d, %s lr %g, %d steps of %s; ‖∂L/∂W‖ averaged over the first %d steps", s.depth, s.width, s.optimizer, s.lr, s.steps, s.batch, s.gradSteps),
		[]string{"activation", "start", "‖∂L/∂W‖ fc1", "fc" + fmt.Sprint(s.depth/2+1), "out", "fc1/out", "final loss", "val err"}, rows)
	return savePanels(so.path("init.png"), [][]*plot.Plot{gradPanels, lossPanels}, vg.Length(len(acts))*5*vg.Inch, 10*vg.Inch)
}

// train runs one setting and collects its gradient norms and losses.
func (s *initSweep) train(act string, set initSetting, so *sweepOut) (initRun, error) {
	cfg := s.config()
	cfg.Depth, cfg.Width, cfg.Activation = s.depth, s.width, act
	cfg.Init, cfg.InitStd, cfg.InputNorm = set.Init, set.Std, set.InputNorm
	cfg.InitNonlin = act // Xavier's gain for tanh is 5/3, as He's for ReLU is √2
	if set.BatchNorm {
		cfg.Norm = "batch"
	}
	cfg.Optimizer, cfg.Options, cfg.Schedule = s.optimizer, map[string]float64{"lr": s.lr}, "none"
	if s.optimizer == "sgd" {
		cfg.Options["momentum"] = s.momentum
	}
	r, err := s.setup(cfg, so)
	if err != nil {
		return initRun{}, err
	}
	layers := make([]string, 0, s.depth+1)
	for i := 1; i <= s.depth; i++ {
		layers = append(layers, fmt.Sprintf("fc%d.weight", i))
	}
	layers = append(layers, "out.weight")
	// Sum the norms of the first grad-steps steps whose gradients are all
	// finite: a run that explodes at step 2 still shows the norms of step 1.
	sums, norms, counted := make([]float64, len(layers)), make([]float64, len(layers)), 0
	ir := initRun{Activation: act, initSetting: set}
	ir.stepLog, err = trainSteps(r, s.steps, func(step int) {
		if step > s.gradSteps {
			return
		}
		for i, name := range layers {
			if norms[i] = gradNorm(r.Trainer.Model().Param(name).Grad); !isFinite(norms[i]) {
				return
			}
		}
		for i, v := range norms {
			sums[i] += v
		}
		counted++
	})
	if err != nil {
		return initRun{}, fmt.Errorf("%s %s: %w", act, set.Name, err)
	}
	for i := range sums {
		sums[i] /= float64(counted) // NaN when no step had finite gradients
		ir.GradNorms = append(ir.GradNorms, recipe.Metric(sums[i]))
	}
	ir.ValLoss, ir.ValError = recipe.Metric(math.NaN()), recipe.Metric(math.NaN())
	if ir.Diverged == 0 {
		loss, acc, err := r.Evaluate(r.Data.Val)
		if err != nil {
			return initRun{}, err
		}
		ir.ValLoss, ir.ValError = loss, 1-acc
	}
	fmt.Fprintf(so.log, "%-7s %-22s ‖∂L/∂W‖ fc1 %-9s out %-9s %s\n", act, set.Name, general(sums[0]), general(sums[len(sums)-1]), ir.outcome())
	return ir, nil
}

// outcome says how the run ended.
func (ir initRun) outcome() string {
	if ir.Diverged > 0 {
		return fmt.Sprintf("diverged at step %d", ir.Diverged)
	}
	return fmt.Sprintf("final loss %s, validation error %s", general(ir.finalLoss()), percent(float64(ir.ValError)))
}

func (ir initRun) row() []string {
	g := ir.GradNorms
	final := general(ir.finalLoss())
	if ir.Diverged > 0 {
		final = fmt.Sprintf("diverged (step %d)", ir.Diverged)
	}
	return []string{ir.Activation, ir.Name, general(float64(g[0])), general(float64(g[len(g)/2])), general(float64(g[len(g)-1])),
		general(float64(g[0] / g[len(g)-1])), final, percent(float64(ir.ValError))}
}

// gradNorm is the Frobenius norm of a gradient, in float64; +Inf or NaN
// when it is not finite.
func gradNorm(g *graph.Buffer) float64 {
	var sum float64
	for i := range g.Len() {
		v := g.At(i)
		sum += v * v
	}
	return math.Sqrt(sum)
}

// plotInit draws one activation's gradient norms against layer and its
// losses against step, one line per setting.
func plotInit(act string, depth int, runs []initRun) (grads, losses *plot.Plot, err error) {
	grads = newPanel(fmt.Sprintf("%s: ‖∂L/∂W‖ per layer over the first steps", act), "linear layer (1 = input side, last = output)", "gradient norm (log scale)")
	logY(grads)
	losses = newPanel(fmt.Sprintf("%s: training loss", act), "step", "cross-entropy (running mean of 10 steps)")
	for i, ir := range runs {
		g := make(plotter.XYs, len(ir.GradNorms))
		for j, v := range ir.GradNorms {
			g[j] = plotter.XY{X: float64(j + 1), Y: float64(v)}
		}
		if err := addLine(grads, "", g, i, false, true); err != nil { // the legend is the loss panel's
			return nil, nil, err
		}
		l := make(plotter.XYs, len(ir.Loss))
		for j, v := range smooth(ir.Loss, 10) {
			l[j] = plotter.XY{X: float64(j + 1), Y: v}
		}
		name := ir.Name
		if ir.Diverged > 0 {
			name += fmt.Sprintf(" (diverged, step %d)", ir.Diverged)
		}
		if err := addLine(losses, name, l, i, false, false); err != nil {
			return nil, nil, err
		}
	}
	ticks := make([]float64, depth+1)
	for i := range ticks {
		ticks[i] = float64(i + 1)
	}
	valueTicks(&grads.X, ticks)
	losses.Y.Min, losses.Y.Max = 0, 4 // the naive starts' losses can be huge; the legend sits above 2.3
	return grads, losses, nil
}
