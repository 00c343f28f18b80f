package solvers

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"gorgonia.org/tensor"
)

// goldenCases loads every reference case of a kind (see internal/golden).
func goldenCases(t *testing.T, kind string) []golden.Case {
	t.Helper()
	cases, err := golden.Load(kind)
	if err != nil {
		t.Fatal(err)
	}
	return cases
}

// solverCase is one testdata/golden/solvers case (see FORMAT.md).
type solverCase struct {
	Optimizer      string         `json:"optimizer"`
	Options        map[string]any `json:"options"`
	Regularization struct {
		L1 float64 `json:"l1"`
		L2 float64 `json:"l2"`
	} `json:"regularization"`
	Schedule  map[string]any `json:"schedule"`
	Objective struct {
		A []float64 `json:"a"`
		B []float64 `json:"b"`
		C []float64 `json:"c"`
	} `json:"objective"`
	Shape      []int       `json:"shape"`
	Theta0     []float64   `json:"theta0"`
	Steps      int         `json:"steps"`
	LRPerStep  []float64   `json:"lr_per_step"`
	Trajectory [][]float64 `json:"trajectory"`
	RTol       float64     `json:"rtol"`
	ATol       float64     `json:"atol"`
}

// tolerancesFor widens a float64 case's tolerances for a float32 run, per FORMAT.md.
func tolerancesFor(dt tensor.Dtype, rtol, atol float64) (float64, float64) {
	if dt == tensor.Float32 {
		return math.Max(rtol, 1e-3), math.Max(atol, 1e-4)
	}
	return rtol, atol
}

func near(got, want, rtol, atol float64) bool {
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

func TestGoldenSolvers(t *testing.T) {
	for _, gc := range goldenCases(t, "solvers") {
		var c solverCase
		if err := json.Unmarshal(gc.Raw, &c); err != nil {
			t.Fatalf("%s: %v", gc.Path, err)
		}
		for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
			t.Run(gc.Name+"/"+dt.String(), func(t *testing.T) { runSolverCase(t, c, dt) })
		}
	}
}

func runSolverCase(t *testing.T, c solverCase, dt tensor.Dtype) {
	opts := map[string]any{"l1": c.Regularization.L1, "l2": c.Regularization.L2}
	for k, v := range c.Options {
		opts[k] = v
	}
	opt, err := New(c.Optimizer, opts)
	if err != nil {
		t.Fatal(err)
	}
	theta := &graph.Param{Name: "theta", Kind: graph.Weight, Value: graph.NewBuffer(dt, c.Shape...), Grad: graph.NewBuffer(dt, c.Shape...)}
	for i, v := range c.Theta0 {
		theta.Value.Set(i, v)
	}
	if err := opt.AddGroup([]*graph.Param{theta}, nil); err != nil {
		t.Fatal(err)
	}
	var sched Schedule
	if c.Schedule != nil {
		opts := map[string]any{}
		for k, v := range c.Schedule {
			if k != "type" {
				opts[k] = v
			}
		}
		typ, _ := c.Schedule["type"].(string)
		if sched, err = NewSchedule(typ, opt, opts); err != nil {
			t.Fatal(err)
		}
	}
	rtol, atol := tolerancesFor(dt, c.RTol, c.ATol)
	obj := c.Objective
	for step := 0; step < c.Steps; step++ {
		if lr := opt.LR(0); !near(lr, c.LRPerStep[step], c.RTol, c.ATol) {
			t.Fatalf("step %d: lr %v, want %v", step+1, lr, c.LRPerStep[step])
		}
		for i := range c.Theta0 {
			x := theta.Value.At(i)
			theta.Grad.Set(i, obj.A[i]*x-obj.B[i]+obj.C[i]*x*x*x)
		}
		if err := opt.Step(); err != nil {
			t.Fatalf("step %d: %v", step+1, err)
		}
		for i, want := range c.Trajectory[step] {
			if got := theta.Value.At(i); !near(got, want, rtol, atol) {
				t.Fatalf("step %d: theta[%d] = %v, want %v", step+1, i, got, want)
			}
		}
		if sched != nil {
			sched.Step(0)
		}
	}
}

// schedulerCase is one testdata/golden/schedulers case (see FORMAT.md).
type schedulerCase struct {
	Type      string         `json:"type"`
	Options   map[string]any `json:"options"`
	BaseLR    float64        `json:"base_lr"`
	Epochs    int            `json:"epochs"`
	LRs       []float64      `json:"lrs"`
	Optimizer string         `json:"optimizer"` // sgd (the default) or adam
	Momentums []float64      `json:"momentums"` // SGD's momentum or Adam's β1 as the schedule cycles it
	RTol      float64        `json:"rtol"`
	ATol      float64        `json:"atol"`
}

func TestGoldenSchedulers(t *testing.T) {
	for _, gc := range goldenCases(t, "schedulers") {
		var c schedulerCase
		if err := json.Unmarshal(gc.Raw, &c); err != nil {
			t.Fatalf("%s: %v", gc.Path, err)
		}
		t.Run(gc.Name, func(t *testing.T) {
			// SGD with momentum, whose momentum OneCycleLR may cycle; Adam's β1.
			options := map[string]any{"lr": c.BaseLR, "momentum": 0.9}
			if c.Optimizer == "adam" {
				options = map[string]any{"lr": c.BaseLR}
			} else if c.Optimizer != "" && c.Optimizer != "sgd" {
				t.Fatalf("optimizer %q: want sgd or adam", c.Optimizer)
			}
			opt, err := New(c.Optimizer, options)
			if c.Optimizer == "" {
				opt, err = New("sgd", options)
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := opt.AddGroup(nil, nil); err != nil {
				t.Fatal(err)
			}
			sched, err := NewSchedule(c.Type, opt, c.Options)
			if err != nil {
				t.Fatal(err)
			}
			for e := 0; e < c.Epochs; e++ {
				if e > 0 {
					sched.Step(0)
				}
				if got := opt.LR(0); !near(got, c.LRs[e], c.RTol, c.ATol) {
					t.Fatalf("epoch %d: lr %v, want %v", e, got, c.LRs[e])
				}
				if c.Momentums == nil {
					continue
				}
				if got, _ := opt.Momentum(); !near(got, c.Momentums[e], c.RTol, c.ATol) {
					t.Fatalf("epoch %d: momentum %v, want %v", e, got, c.Momentums[e])
				}
			}
		})
	}
}
