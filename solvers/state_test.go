package solvers

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/descent-ml/descent/graph"
	"gorgonia.org/tensor"
)

// resumeConfig is an optimizer and schedule whose state a test interrupts.
type resumeConfig struct {
	optimizer string
	opts      map[string]any
	schedule  string
	schedOpts map[string]any
}

// Every state buffer and every schedule appears in some configuration.
var resumeConfigs = []resumeConfig{
	{"sgd", map[string]any{"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "l1": 0.01}, "StepLR", map[string]any{"step_size": 3, "gamma": 0.5}},
	{"sgd", map[string]any{"lr": 0.05, "momentum": 0.8, "nesterov": true, "clip_grad_norm": 0.5}, "cosine", map[string]any{"T_max": 5, "warmup_iters": 3}},
	{"adagrad", map[string]any{"lr": 0.1, "lr_decay": 0.1, "initial_accumulator_value": 0.2, "l2": 0.1}, "ExponentialLR", map[string]any{"gamma": 0.9}},
	{"adadelta", map[string]any{"weight_decay": 0.01}, "MultiStepLR", map[string]any{"milestones": []int{2, 6}}},
	{"rmsprop", map[string]any{"centered": true, "momentum": 0.5, "clip_grad_value": 0.3}, "ReduceLROnPlateau", map[string]any{"patience": 2, "factor": 0.5, "cooldown": 2, "mode": "max"}},
	{"adam", map[string]any{"lr": 0.05, "amsgrad": true, "weight_decay": 0.01}, "warmup", map[string]any{"warmup_iters": 4}},
	{"adamw", map[string]any{"lr": 0.05, "amsgrad": true}, "plateau", map[string]any{"patience": 4, "mode": "max", "warmup_iters": 2}},
	{"sgd", map[string]any{"lr": 0.05, "momentum": 0.9}, "OneCycleLR", map[string]any{"max_lr": []float64{0.2, 0.1}, "total_steps": 12, "three_phase": true}},
	{"adam", map[string]any{"lr": 0.05}, "OneCycleLR", map[string]any{"max_lr": 0.1, "epochs": 2, "steps_per_epoch": 5, "anneal_strategy": "linear"}},
	{"rmsprop", map[string]any{"momentum": 0.5}, "LinearLR", map[string]any{"start_factor": 0.1, "total_iters": 6}},
	{"sgd", map[string]any{"lr": 0.05, "momentum": 0.5}, "CosineAnnealingWarmRestarts", map[string]any{"T_0": 2, "T_mult": 2, "eta_min": 0.001}},
}

// resumeRun is one training run of a resumeConfig over a small model.
type resumeRun struct {
	params []*graph.Param
	opt    *Optimizer
	sched  Schedule
}

func newResumeRun(t *testing.T, c resumeConfig, dt tensor.Dtype, values [][]float64) *resumeRun {
	t.Helper()
	names := []string{"conv.weight", "conv.bias", "fc.weight"}
	kinds := []graph.ParamKind{graph.Weight, graph.Bias, graph.Weight}
	r := &resumeRun{}
	for i, v := range values {
		p := &graph.Param{Name: names[i], Kind: kinds[i], Value: graph.NewBuffer(dt, len(v)), Grad: graph.NewBuffer(dt, len(v))}
		for j, x := range v {
			p.Value.Set(j, x)
		}
		r.params = append(r.params, p)
	}
	var err error
	if r.opt, err = New(c.optimizer, c.opts); err != nil {
		t.Fatal(err)
	}
	// Two groups, so that per-group rates and state are both exercised.
	if err := r.opt.AddGroup(r.params[:2], nil); err != nil {
		t.Fatal(err)
	}
	if err := r.opt.AddGroup(r.params[2:], map[string]any{"lr": 0.5 * r.opt.LR(0)}); err != nil {
		t.Fatal(err)
	}
	if r.sched, err = NewSchedule(c.schedule, r.opt, c.schedOpts); err != nil {
		t.Fatal(err)
	}
	return r
}

// step computes the gradient of a quartic bowl at the current values, steps
// the optimizer and steps the schedule with the loss as its metric.
func (r *resumeRun) step(t *testing.T) {
	t.Helper()
	loss := 0.0
	for i, p := range r.params {
		for j := 0; j < p.Value.Len(); j++ {
			x := p.Value.At(j)
			target := float64(i+j%3) - 1
			p.Grad.Set(j, (x-target)+0.1*x*x*x)
			loss += 0.5*(x-target)*(x-target) + 0.025*x*x*x*x
		}
	}
	if err := r.opt.Step(); err != nil {
		t.Fatal(err)
	}
	r.sched.Step(loss)
}

func (r *resumeRun) values() [][]float64 {
	var out [][]float64
	for _, p := range r.params {
		v := make([]float64, p.Value.Len())
		for j := range v {
			v[j] = p.Value.At(j)
		}
		out = append(out, v)
	}
	return out
}

// roundTrip encodes v and decodes it into a fresh value, by JSON or gob.
func roundTrip[T any](t *testing.T, v T, useGob bool) T {
	t.Helper()
	var out T
	var buf bytes.Buffer
	if useGob {
		if err := gob.NewEncoder(&buf).Encode(v); err != nil {
			t.Fatal(err)
		}
		if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStateResumesBitExactly runs k steps, exports optimizer and schedule state
// through JSON or gob, restores it into a fresh optimizer and schedule over
// parameters holding the saved values, and continues: every value, rate and
// state buffer must equal those of a run that never stopped.
func TestStateResumesBitExactly(t *testing.T) {
	start := [][]float64{{0.5, -1.5, 2, 0.25, -0.75}, {0.1, -0.2}, {1.5, -2.5, 0.3}}
	const before, after = 5, 9
	for ci, c := range resumeConfigs {
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			useGob := ci%2 == 1
			t.Run(fmt.Sprintf("%s+%s/%v/gob=%v", c.optimizer, c.schedule, dt, useGob), func(t *testing.T) {
				whole := newResumeRun(t, c, dt, start)
				for range before + after {
					whole.step(t)
				}

				first := newResumeRun(t, c, dt, start)
				for range before {
					first.step(t)
				}
				optState := roundTrip(t, mustState(t, first.opt), useGob)
				schedState := roundTrip(t, first.sched.State(), useGob)

				resumed := newResumeRun(t, c, dt, first.values())
				if err := resumed.sched.SetState(schedState); err != nil {
					t.Fatal(err)
				}
				if err := resumed.opt.SetState(optState); err != nil {
					t.Fatal(err)
				}
				for range after {
					resumed.step(t)
				}
				if got, want := resumed.values(), whole.values(); !reflect.DeepEqual(got, want) {
					t.Errorf("values after resuming %v, want %v", got, want)
				}
				if got, want := mustState(t, resumed.opt), mustState(t, whole.opt); !reflect.DeepEqual(got, want) {
					t.Errorf("optimizer state after resuming differs:\n%+v\nwant\n%+v", got, want)
				}
				if got, want := resumed.sched.State(), whole.sched.State(); !reflect.DeepEqual(got, want) {
					t.Errorf("schedule state after resuming %+v, want %+v", got, want)
				}
			})
		}
	}
}

// TestStateIsACopy checks that an exported state does not change as training
// goes on, and that restoring does not tie the optimizer to the state's buffers.
func TestStateIsACopy(t *testing.T) {
	r := newResumeRun(t, resumeConfigs[5], tensor.Float64, [][]float64{{1, 2}, {3}, {4}})
	r.step(t)
	st := mustState(t, r.opt)
	saved := roundTrip(t, st, false)
	r.step(t)
	if !reflect.DeepEqual(st, saved) {
		t.Error("exported state changed with the next step")
	}
	if err := r.opt.SetState(st); err != nil {
		t.Fatal(err)
	}
	r.step(t)
	if !reflect.DeepEqual(st, saved) {
		t.Error("restored state changed with the next step")
	}
}

func TestSetStateRejectsMismatches(t *testing.T) {
	r := newResumeRun(t, resumeConfigs[5], tensor.Float64, [][]float64{{1, 2}, {3}, {4}})
	r.step(t)
	for _, tc := range []struct {
		want   string
		change func(st *State)
	}{
		{"adamw", func(st *State) { st.Optimizer = "adamw" }},
		{"groups", func(st *State) { st.Groups = st.Groups[:1] }},
		{"parameters", func(st *State) { st.Groups[0].Params = st.Groups[0].Params[:1] }},
		{"fc1.weight", func(st *State) { st.Groups[1].Params[0].Name = "fc1.weight" }},
		{"max_exp_avg_sq", func(st *State) { delete(st.Groups[0].Params[0].Buffers, "max_exp_avg_sq") }},
		{"exp_avg", func(st *State) { st.Groups[0].Params[1].Buffers["exp_avg"] = graph.NewBuffer(tensor.Float64, 3) }},
		{"exp_avg_sq", func(st *State) { st.Groups[0].Params[1].Buffers["exp_avg_sq"] = graph.NewBuffer(tensor.Float32, 1) }},
		{"step -1", func(st *State) { st.Groups[0].Params[0].Step = -1 }},
	} {
		st := roundTrip(t, mustState(t, r.opt), true)
		before := mustState(t, r.opt)
		tc.change(&st)
		err := r.opt.SetState(st)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetState: error %v, want one naming %q", err, tc.want)
		}
		if !reflect.DeepEqual(mustState(t, r.opt), before) {
			t.Errorf("a rejected SetState (%s) changed the state", tc.want)
		}
	}

	st := r.sched.State()
	st.Type = "StepLR"
	if err := r.sched.SetState(st); err == nil || !strings.Contains(err.Error(), "StepLR") {
		t.Errorf("schedule SetState of another type: error %v", err)
	}
	st = r.sched.State()
	st.LRs = st.LRs[:1]
	if err := r.sched.SetState(st); err == nil {
		t.Error("schedule SetState with one rate for two groups was accepted")
	}
}

// mustState is o.State(), failing the test on an error.
func mustState(t *testing.T, o *Optimizer) State {
	t.Helper()
	st, err := o.State()
	if err != nil {
		t.Fatal(err)
	}
	return st
}
