package sweeps

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// optimizersSweep trains the same network with every optimizer, each at a
// brisk learning rate for it, once at a constant rate and once with a
// learning-rate schedule (cosine annealing to zero over the run, stepped
// every iteration), and draws the training loss against step and against
// wall time: what each update rule buys per step, what a step costs, and
// how annealing turns a rate that is too high to settle into a low final loss.
type optimizersSweep struct {
	mnistSweep
	model      string
	depth      int
	width      int
	steps      int
	optimizers string
	warmup     int
}

func optimizersFlags(fs *flag.FlagSet) func(*sweepOut) error {
	s := &optimizersSweep{mnistSweep: mnistSweep{subset: 10000, val: 5000, epochs: 1, batch: "64", seed: 1},
		model: "mlp", depth: 2, width: 128, steps: 1500,
		optimizers: "sgd=0.1,momentum=0.03,nesterov=0.03,adagrad=0.03,adadelta=3,rmsprop=0.003,adam=0.003,adamw=0.003"}
	s.register(fs)
	fs.StringVar(&s.model, "model", s.model, "mlp or lenet")
	fs.IntVar(&s.depth, "depth", s.depth, "mlp: hidden layers")
	fs.IntVar(&s.width, "width", s.width, "mlp: units per hidden layer")
	fs.IntVar(&s.steps, "steps", s.steps, "training steps per run")
	fs.StringVar(&s.optimizers, "optimizers", s.optimizers, "comma-separated name=lr: sgd, momentum (SGD with momentum 0.9), nesterov, adagrad, adadelta, rmsprop, adam, adamw")
	fs.IntVar(&s.warmup, "warmup", s.warmup, "scheduled runs: linear warm-up over this many steps before the cosine")
	return s.run
}

// optimizerChoice is an optimizer of the sweep: a torch.optim name with
// options, under the sweep's name for it.
type optimizerChoice struct {
	name, optimizer string
	options         map[string]float64
}

func parseOptimizers(list string) ([]optimizerChoice, error) {
	var out []optimizerChoice
	for _, item := range strings.Split(list, ",") {
		name, lrText, ok := strings.Cut(strings.TrimSpace(item), "=")
		lr, err := strconv.ParseFloat(lrText, 64)
		if !ok || err != nil || !(lr > 0) {
			return nil, fmt.Errorf("flag -optimizers: %q is not name=learning-rate", item)
		}
		c := optimizerChoice{name: name, optimizer: name, options: map[string]float64{"lr": lr}}
		switch name {
		case "momentum":
			c.optimizer, c.options["momentum"] = "sgd", 0.9
		case "nesterov":
			c.optimizer, c.options["momentum"], c.options["nesterov"] = "sgd", 0.9, 1
		case "sgd", "adagrad", "adadelta", "rmsprop", "adam", "adamw":
		default:
			return nil, fmt.Errorf("flag -optimizers: unknown optimizer %q (want sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam or adamw)", name)
		}
		out = append(out, c)
	}
	return out, nil
}

// optimizerRun is one line of the sweep's metrics.jsonl.
type optimizerRun struct {
	Name      string             `json:"name"`
	Optimizer string             `json:"optimizer"`
	Options   map[string]float64 `json:"options"`
	Schedule  string             `json:"schedule"`
	stepLog
	ValError recipe.Metric `json:"val_error"`
	ValLoss  recipe.Metric `json:"val_loss"`
}

func (s *optimizersSweep) run(so *sweepOut) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.steps < 1 {
		return errNotPositive("steps", s.steps)
	}
	if s.warmup < 0 || s.warmup >= s.steps {
		return fmt.Errorf("flag -warmup: %d is not in [0, -steps)", s.warmup)
	}
	choices, err := parseOptimizers(s.optimizers)
	if err != nil {
		return err
	}
	schedules := []string{"none", "cosine"}
	panels := [][]*plot.Plot{make([]*plot.Plot, 2), make([]*plot.Plot, 2)}
	var rows [][]string
	for k, sched := range schedules {
		var runs []optimizerRun
		for _, c := range choices {
			or, err := s.train(c, sched, so)
			if err != nil {
				return err
			}
			if err := so.record(or); err != nil {
				return err
			}
			runs = append(runs, or)
			rows = append(rows, or.row())
		}
		title := "constant learning rate"
		if sched == "cosine" {
			title = "cosine schedule"
			if s.warmup > 0 {
				title += fmt.Sprintf(" after %d warm-up steps", s.warmup)
			}
		}
		if panels[0][k], panels[1][k], err = plotOptimizers(title, runs); err != nil {
			return err
		}
	}
	so.table(fmt.Sprintf("%s on %d MNIST images, %d steps of %s", s.model, s.subset, s.steps, s.batch),
		[]string{"optimizer", "lr", "schedule", "final loss", "val err", "seconds", "steps/s"}, rows)
	return savePanels(so.path("optimizers.png"), panels, 14*vg.Inch, 10*vg.Inch)
}

func (s *optimizersSweep) train(c optimizerChoice, schedule string, so *sweepOut) (optimizerRun, error) {
	cfg := s.config()
	cfg.Model, cfg.Depth, cfg.Width = s.model, s.depth, s.width
	if s.model == "lenet" {
		cfg.Filters, cfg.Hidden = "16,32", 128
	}
	cfg.Optimizer, cfg.Options, cfg.Schedule = c.optimizer, c.options, "none"
	if schedule == "cosine" {
		cfg.Schedule, cfg.SchedulePerIt, cfg.TMax, cfg.Warmup = "cosine", true, s.steps-s.warmup, s.warmup
	}
	r, err := s.setup(cfg, so)
	if err != nil {
		return optimizerRun{}, err
	}
	or := optimizerRun{Name: c.name, Optimizer: c.optimizer, Options: c.options, Schedule: schedule}
	if or.stepLog, err = trainSteps(r, s.steps, nil); err != nil {
		return optimizerRun{}, fmt.Errorf("%s: %w", c.name, err)
	}
	if or.Diverged == 0 {
		if or.ValLoss, or.ValError, err = r.Evaluate(r.Data.Val); err != nil {
			return optimizerRun{}, err
		}
		or.ValError = 1 - or.ValError
	}
	fmt.Fprintf(so.log, "%-9s %-7s %s\n", c.name, schedule, or.outcome())
	return or, nil
}

func (or optimizerRun) outcome() string {
	if or.Diverged > 0 {
		return fmt.Sprintf("diverged at step %d", or.Diverged)
	}
	return fmt.Sprintf("final loss %s, validation error %s, %.1fs", general(or.finalLoss()), percent(float64(or.ValError)), or.seconds())
}

func (or optimizerRun) seconds() float64 {
	if len(or.Seconds) == 0 {
		return 0
	}
	return float64(or.Seconds[len(or.Seconds)-1])
}

func (or optimizerRun) row() []string {
	final := general(or.finalLoss())
	if or.Diverged > 0 {
		final = fmt.Sprintf("diverged (step %d)", or.Diverged)
	}
	return []string{or.Name, general(or.Options["lr"]), or.Schedule, final, percent(float64(or.ValError)),
		fmt.Sprintf("%.1f", or.seconds()), fmt.Sprintf("%.0f", float64(len(or.Loss))/or.seconds())}
}

// plotOptimizers draws the runs' training losses (running mean of 20
// steps) against step and against wall time.
func plotOptimizers(title string, runs []optimizerRun) (bySteps, byTime *plot.Plot, err error) {
	bySteps = newPanel("Training loss, "+title, "step", "cross-entropy (log scale)")
	byTime = newPanel("Training loss, "+title, "wall time (s)", "cross-entropy (log scale)")
	logY(bySteps)
	logY(byTime)
	for i, or := range runs {
		steps, secs := make(plotter.XYs, len(or.Loss)), make(plotter.XYs, len(or.Loss))
		for j, v := range smooth(or.Loss, 20) {
			steps[j] = plotter.XY{X: float64(j + 1), Y: v}
			secs[j] = plotter.XY{X: float64(or.Seconds[j]), Y: v}
		}
		if err := addLine(bySteps, or.Name, steps, i, i >= 7, false); err != nil {
			return nil, nil, err
		}
		if err := addLine(byTime, or.Name, secs, i, i >= 7, false); err != nil {
			return nil, nil, err
		}
	}
	return bySteps, byTime, nil
}
