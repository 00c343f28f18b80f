package solvers

import (
	"strings"
	"testing"

	"github.com/descent-ml/descent/graph"
)

// TestInvalidOptimizerOptions checks that every invalid hyperparameter is
// rejected at construction with an error naming the option and its value.
func TestInvalidOptimizerOptions(t *testing.T) {
	for _, tc := range []struct {
		optimizer string
		opts      map[string]any
		want      []string // substrings of the error
	}{
		{"sgd", map[string]any{"lr": -0.1}, []string{"lr", "-0.1"}},
		{"sgd", map[string]any{"lr": 0.1, "momentum": 1.0}, []string{"momentum", "1"}},
		{"sgd", map[string]any{"lr": 0.1, "momentum": -0.5}, []string{"momentum", "-0.5"}},
		{"sgd", map[string]any{"lr": 0.1, "dampening": 1.5}, []string{"dampening", "1.5"}},
		{"sgd", map[string]any{"lr": 0.1, "dampening": -0.1}, []string{"dampening", "-0.1"}},
		{"sgd", map[string]any{"lr": 0.1, "weight_decay": -1e-4}, []string{"weight_decay", "-0.0001"}},
		{"sgd", map[string]any{"lr": 0.1, "nesterov": true}, []string{"nesterov", "true", "momentum"}},
		{"sgd", map[string]any{"lr": 0.1, "nesterov": true, "momentum": 0.9, "dampening": 0.2}, []string{"nesterov", "dampening", "0.2"}},
		{"sgd", map[string]any{}, []string{"lr", "required"}},
		{"adagrad", map[string]any{"lr": -1}, []string{"lr", "-1"}},
		{"adagrad", map[string]any{"lr_decay": -0.5}, []string{"lr_decay", "-0.5"}},
		{"adagrad", map[string]any{"weight_decay": -0.5}, []string{"weight_decay", "-0.5"}},
		{"adagrad", map[string]any{"initial_accumulator_value": -2}, []string{"initial_accumulator_value", "-2"}},
		{"adagrad", map[string]any{"eps": 0.0}, []string{"eps", "0"}},
		{"adadelta", map[string]any{"rho": 1.1}, []string{"rho", "1.1"}},
		{"adadelta", map[string]any{"rho": -0.1}, []string{"rho", "-0.1"}},
		{"adadelta", map[string]any{"eps": -1e-6}, []string{"eps", "-1e-06"}},
		{"adadelta", map[string]any{"lr": -1}, []string{"lr", "-1"}},
		{"adadelta", map[string]any{"weight_decay": -3}, []string{"weight_decay", "-3"}},
		{"rmsprop", map[string]any{"alpha": -0.01}, []string{"alpha", "-0.01"}},
		{"rmsprop", map[string]any{"alpha": 1.5}, []string{"alpha", "1.5"}},
		{"rmsprop", map[string]any{"eps": 0}, []string{"eps", "0"}},
		{"rmsprop", map[string]any{"momentum": 1}, []string{"momentum", "1"}},
		{"rmsprop", map[string]any{"weight_decay": -1}, []string{"weight_decay", "-1"}},
		{"rmsprop", map[string]any{"lr": -0.01}, []string{"lr", "-0.01"}},
		{"adam", map[string]any{"betas": []float64{1, 0.999}}, []string{"betas[0]", "1"}},
		{"adam", map[string]any{"betas": []any{0.9, -0.1}}, []string{"betas[1]", "-0.1"}},
		{"adam", map[string]any{"betas": []float64{0.9}}, []string{"betas", "two"}},
		{"adam", map[string]any{"eps": -1e-8}, []string{"eps", "-1e-08"}},
		{"adam", map[string]any{"lr": -0.001}, []string{"lr", "-0.001"}},
		{"adam", map[string]any{"weight_decay": -0.1}, []string{"weight_decay", "-0.1"}},
		{"adamw", map[string]any{"weight_decay": -0.01}, []string{"weight_decay", "-0.01"}},
		{"adamw", map[string]any{"betas": []float64{0.9, 1}}, []string{"betas[1]", "1"}},
		{"adamw", map[string]any{"eps": 0}, []string{"eps", "0"}},
		{"adam", map[string]any{"lr": "fast"}, []string{"lr", "fast"}},
		{"adam", map[string]any{"amsgrad": 1}, []string{"amsgrad", "1"}},
		{"adam", map[string]any{"momentum": 0.9}, []string{"unknown option", "momentum"}},
		{"sgd", map[string]any{"lr": 0.1, "l1": -1}, []string{"l1", "-1"}},
		{"sgd", map[string]any{"lr": 0.1, "l2": -2}, []string{"l2", "-2"}},
		{"sgd", map[string]any{"lr": 0.1, "regularize": []string{"weights"}}, []string{"regularize", "weights"}},
		{"sgd", map[string]any{"lr": 0.1, "clip_grad_norm": -1}, []string{"clip_grad_norm", "-1"}},
		{"sgd", map[string]any{"lr": 0.1, "clip_grad_value": -1}, []string{"clip_grad_value", "-1"}},
		{"lbfgs", nil, []string{"unknown optimizer", "lbfgs"}},
	} {
		_, err := New(tc.optimizer, tc.opts)
		if err == nil {
			t.Errorf("New(%s, %v) accepted invalid options", tc.optimizer, tc.opts)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%s, %v): error %q does not mention %q", tc.optimizer, tc.opts, err, w)
			}
		}
	}
}

// TestValidOptimizerOptions checks the edges of the valid ranges are accepted,
// and that integers and JSON-style lists are read as numbers.
func TestValidOptimizerOptions(t *testing.T) {
	for _, tc := range []struct {
		optimizer string
		opts      map[string]any
	}{
		{"SGD", map[string]any{"lr": 0, "momentum": 0.999, "dampening": 1}},
		{"sgd", map[string]any{"lr": 1, "momentum": 0.5, "nesterov": true}},
		{"adagrad", nil},
		{"adadelta", map[string]any{"rho": 1}},
		{"adadelta", map[string]any{"rho": 0}},
		{"rmsprop", map[string]any{"alpha": 0, "momentum": 0, "centered": true}},
		{"Adam", map[string]any{"betas": []any{0.0, 0.5}, "amsgrad": true}},
		{"adamw", map[string]any{"lr": 1e-3, "weight_decay": 0}},
	} {
		if _, err := New(tc.optimizer, tc.opts); err != nil {
			t.Errorf("New(%s, %v): %v", tc.optimizer, tc.opts, err)
		}
	}
}

func TestNewTakesPyTorchDefaults(t *testing.T) {
	for name, want := range map[string]Algorithm{
		"adagrad":  Adagrad{LR: 1e-2, Eps: 1e-10},
		"adadelta": Adadelta{LR: 1, Rho: 0.9, Eps: 1e-6},
		"rmsprop":  RMSProp{LR: 1e-2, Alpha: 0.99, Eps: 1e-8},
		"adam":     Adam{LR: 1e-3, Betas: [2]float64{0.9, 0.999}, Eps: 1e-8},
		"adamw":    AdamW{LR: 1e-3, Betas: [2]float64{0.9, 0.999}, Eps: 1e-8, WeightDecay: 1e-2},
	} {
		opt, err := New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := opt.Algorithm(); got != want {
			t.Errorf("New(%s) = %+v, want %+v", name, got, want)
		}
	}
	opt, err := New("sgd", map[string]any{"lr": 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := opt.Algorithm(), (SGD{LR: 3}); got != want {
		t.Errorf("New(sgd) = %+v, want %+v", got, want)
	}
}

func TestInvalidGroups(t *testing.T) {
	w := testParam("w", graph.Weight, 1, 2)
	state := &graph.Param{Name: "bn.running_mean", Kind: graph.State, Value: graph.NewBuffer(testDtype, 2)}
	for _, tc := range []struct {
		params    []*graph.Param
		overrides map[string]any
		want      []string
	}{
		{[]*graph.Param{w}, map[string]any{"lr": -1}, []string{"lr", "-1"}},
		{[]*graph.Param{w}, map[string]any{"weight_decay": -1}, []string{"weight_decay", "-1"}},
		{[]*graph.Param{w}, map[string]any{"l1": -0.5}, []string{"l1", "-0.5"}},
		{[]*graph.Param{w}, map[string]any{"regularize": []any{"bias", "gamma"}}, []string{"regularize", "gamma"}},
		{[]*graph.Param{w}, map[string]any{"momentum": 0.9}, []string{"unknown option", "momentum"}},
		{[]*graph.Param{state}, nil, []string{"bn.running_mean", "state"}},
		{[]*graph.Param{w, w}, nil, []string{"w", "more than one"}},
	} {
		opt, err := New("sgd", map[string]any{"lr": 0.1})
		if err != nil {
			t.Fatal(err)
		}
		err = opt.AddGroup(tc.params, tc.overrides)
		if err == nil {
			t.Errorf("AddGroup(%v) accepted an invalid group", tc.overrides)
			continue
		}
		for _, s := range tc.want {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("AddGroup(%v): error %q does not mention %q", tc.overrides, err, s)
			}
		}
	}
}

func TestInvalidScheduleOptions(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		opts map[string]any
		want []string
	}{
		{"StepLR", map[string]any{"step_size": 0}, []string{"step_size", "0"}},
		{"StepLR", map[string]any{"step_size": 2.5}, []string{"step_size", "2.5"}},
		{"StepLR", map[string]any{}, []string{"step_size", "required"}},
		{"StepLR", map[string]any{"step_size": 3, "gamma": -0.5}, []string{"gamma", "-0.5"}},
		{"MultiStepLR", map[string]any{"milestones": []any{3.0, 0.0}}, []string{"milestones", "0"}},
		{"MultiStepLR", map[string]any{"milestones": []float64{2.5}}, []string{"milestones", "2.5"}},
		{"MultiStepLR", map[string]any{"gamma": 0.5}, []string{"milestones", "required"}},
		{"ExponentialLR", map[string]any{"gamma": 0}, []string{"gamma", "0"}},
		{"ExponentialLR", map[string]any{}, []string{"gamma", "required"}},
		{"CosineAnnealingLR", map[string]any{"T_max": 0}, []string{"T_max", "0"}},
		{"CosineAnnealingLR", map[string]any{"T_max": 10, "eta_min": -1}, []string{"eta_min", "-1"}},
		{"ReduceLROnPlateau", map[string]any{"mode": "lowest"}, []string{"mode", "lowest"}},
		{"ReduceLROnPlateau", map[string]any{"threshold_mode": "pct"}, []string{"threshold_mode", "pct"}},
		{"ReduceLROnPlateau", map[string]any{"factor": 1.0}, []string{"factor", "1"}},
		{"ReduceLROnPlateau", map[string]any{"patience": -1}, []string{"patience", "-1"}},
		{"ReduceLROnPlateau", map[string]any{"cooldown": -2}, []string{"cooldown", "-2"}},
		{"ReduceLROnPlateau", map[string]any{"threshold": -0.1}, []string{"threshold", "-0.1"}},
		{"ReduceLROnPlateau", map[string]any{"min_lr": []float64{0, 0, 0}}, []string{"min_lr", "[0 0 0]"}},
		{"ReduceLROnPlateau", map[string]any{"min_lr": -1}, []string{"min_lr", "-1"}},
		{"ReduceLROnPlateau", map[string]any{"eps": -1}, []string{"eps", "-1"}},
		{"StepLR", map[string]any{"step_size": 3, "warmup_iters": -1}, []string{"warmup_iters", "-1"}},
		{"StepLR", map[string]any{"step_size": 3, "warmup_iters": 5, "warmup_start_factor": 1.5}, []string{"warmup_start_factor", "1.5"}},
		{"constant", map[string]any{}, []string{"warmup_iters", "required"}},
		{"StepLR", map[string]any{"step_size": 3, "last_epoch": 4}, []string{"unknown option", "last_epoch"}},
		{"OneCycleSchedule", nil, []string{"unknown schedule", "OneCycleSchedule"}},
		{"OneCycleLR", map[string]any{"total_steps": 10}, []string{"max_lr", "required"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1}, []string{"total_steps", "required"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "epochs": 0, "steps_per_epoch": 5}, []string{"epochs 0"}},
		{"OneCycleLR", map[string]any{"max_lr": -0.1, "total_steps": 10}, []string{"max_lr", "-0.1"}},
		{"OneCycleLR", map[string]any{"max_lr": []float64{0.1, 0.2, 0.3}, "total_steps": 10}, []string{"max_lr", "[0.1 0.2 0.3]"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 0}, []string{"total_steps", "0"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}, []string{"pct_start", "1.5"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "exp"}, []string{"anneal_strategy", "exp"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 10, "div_factor": 0}, []string{"div_factor", "0"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 10, "max_momentum": 1.2}, []string{"max_momentum", "1.2"}},
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1}, []string{"pct_start 0.1", "phase without steps"}},
		// testOptimizer is SGD without momentum: there is nothing to cycle.
		{"OneCycleLR", map[string]any{"max_lr": 0.1, "total_steps": 10}, []string{"sgd", "momentum 0", "momentum > 0"}},
		{"LinearLR", map[string]any{"start_factor": 0}, []string{"start_factor", "0"}},
		{"LinearLR", map[string]any{"start_factor": 1.5}, []string{"start_factor", "1.5"}},
		{"LinearLR", map[string]any{"end_factor": -0.5}, []string{"end_factor", "-0.5"}},
		{"LinearLR", map[string]any{"total_iters": 0}, []string{"total_iters", "0"}},
		{"CosineAnnealingWarmRestarts", map[string]any{}, []string{"T_0", "required"}},
		{"CosineAnnealingWarmRestarts", map[string]any{"T_0": 0}, []string{"T_0", "0"}},
		{"CosineAnnealingWarmRestarts", map[string]any{"T_0": 5, "T_mult": 0}, []string{"T_mult", "0"}},
		{"CosineAnnealingWarmRestarts", map[string]any{"T_0": 5, "T_mult": 1.5}, []string{"T_mult", "1.5"}},
		{"CosineAnnealingWarmRestarts", map[string]any{"T_0": 5, "eta_min": -1}, []string{"eta_min", "-1"}},
	} {
		opt := testOptimizer(t, 0.1, 0.2)
		_, err := NewSchedule(tc.typ, opt, tc.opts)
		if err == nil {
			t.Errorf("NewSchedule(%s, %v) accepted invalid options", tc.typ, tc.opts)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("NewSchedule(%s, %v): error %q does not mention %q", tc.typ, tc.opts, err, w)
			}
		}
	}
}
