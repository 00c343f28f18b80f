package solvers

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReduceLROnPlateauMatchesPyTorch replays metric sequences through
// ReduceLROnPlateau and compares every group's rate after every step with
// PyTorch 1.13's (testdata/reduce_lr_on_plateau.json, from gen_golden.py).
func TestReduceLROnPlateauMatchesPyTorch(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "reduce_lr_on_plateau.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Options map[string]any `json:"options"`
		BaseLRs []float64      `json:"base_lrs"`
		Metrics []float64      `json:"metrics"`
		LRs     [][]float64    `json:"lrs"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for ci, c := range cases {
		opt := testOptimizer(t, c.BaseLRs...)
		s, err := NewSchedule("ReduceLROnPlateau", opt, c.Options)
		if err != nil {
			t.Fatal(err)
		}
		for e, m := range c.Metrics {
			s.Step(m)
			for g, want := range c.LRs[e] {
				if got := opt.LR(g); !near(got, want, 1e-12, 0) {
					t.Fatalf("case %d (%v), step %d, group %d: lr %v, want %v", ci, c.Options, e+1, g, got, want)
				}
			}
		}
	}
}

// TestLinearWarmupComposes checks the warm-up factor
// start + (1−start)·min(t, iters)/iters on top of StepLR's base·γ^⌊t/s⌋, for
// each group from its own base rate.
func TestLinearWarmupComposes(t *testing.T) {
	const start, iters, stepSize, gamma = 0.25, 3, 4, 0.5
	bases := []float64{0.1, 0.4}
	opt := testOptimizer(t, bases...)
	s, err := NewSchedule("step", opt, map[string]any{"step_size": stepSize, "gamma": gamma, "warmup_iters": iters, "warmup_start_factor": start})
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < 12; e++ {
		if e > 0 {
			s.Step(0)
		}
		factor := start + (1-start)*math.Min(float64(e), iters)/iters
		for g, base := range bases {
			want := base * math.Pow(gamma, float64(e/stepSize)) * factor
			if got := opt.LR(g); !near(got, want, 1e-14, 0) {
				t.Fatalf("epoch %d group %d: lr %v, want %v", e, g, got, want)
			}
			if got := s.LRs()[g]; got != opt.LR(g) {
				t.Fatalf("epoch %d group %d: LRs() %v, optimizer %v", e, g, got, opt.LR(g))
			}
		}
	}
}

// TestLinearWarmupAlone checks a warm-up over constant rates, the default start
// factor being LinearLR's 1/3.
func TestLinearWarmupAlone(t *testing.T) {
	opt := testOptimizer(t, 0.3)
	s, err := NewSchedule("warmup", opt, map[string]any{"warmup_iters": 2})
	if err != nil {
		t.Fatal(err)
	}
	for e, want := range []float64{0.1, 0.2, 0.3, 0.3, 0.3} {
		if e > 0 {
			s.Step(0)
		}
		if got := opt.LR(0); !near(got, want, 1e-15, 0) {
			t.Fatalf("epoch %d: lr %v, want %v", e, got, want)
		}
	}
}

// TestCosineFollowsClosedForm checks the recursive form against
// η_min + (η_max − η_min)·(1 + cos(π·t/T))/2 over two periods, per group.
func TestCosineFollowsClosedForm(t *testing.T) {
	const tMax, etaMin = 6, 0.01
	bases := []float64{0.5, 0.05}
	opt := testOptimizer(t, bases...)
	s, err := NewCosineAnnealingLR(opt, tMax, etaMin)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e <= 4*tMax; e++ {
		if e > 0 {
			s.Step(0)
		}
		for g, base := range bases {
			want := etaMin + (base-etaMin)*(1+math.Cos(math.Pi*float64(e)/tMax))/2
			if got := opt.LR(g); !near(got, want, 1e-12, 1e-15) {
				t.Fatalf("epoch %d group %d: lr %v, want %v", e, g, got, want)
			}
		}
	}
}

// TestScheduleNames checks that PyTorch's class names and the short names
// build the same schedule.
func TestScheduleNames(t *testing.T) {
	for _, tc := range []struct {
		names []string
		opts  map[string]any
	}{
		{[]string{"StepLR", "steplr", "step", "step_lr"}, map[string]any{"step_size": 2, "gamma": 0.5}},
		{[]string{"MultiStepLR", "multistep", "multi_step_lr"}, map[string]any{"milestones": []int{1, 3}, "gamma": 0.5}},
		{[]string{"ExponentialLR", "exponential", "exp"}, map[string]any{"gamma": 0.5}},
		{[]string{"CosineAnnealingLR", "cosine", "cosine_annealing"}, map[string]any{"T_max": 4}},
		{[]string{"ReduceLROnPlateau", "plateau"}, map[string]any{"patience": 0}},
	} {
		var want []float64
		for _, name := range tc.names {
			opt := testOptimizer(t, 1)
			s, err := NewSchedule(name, opt, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var lrs []float64
			for range 6 {
				s.Step(1)
				lrs = append(lrs, opt.LR(0))
			}
			if want == nil {
				want = lrs
				if lrs[5] == 1 {
					t.Fatalf("%s never changed the rate", name)
				}
			} else if !slices.Equal(lrs, want) {
				t.Errorf("%s gave %v, %s %v", name, lrs, tc.names[0], want)
			}
		}
	}
}

// TestOneCycleCyclesAdamBeta1 checks the linear one-cycle rate and Adam's β1
// against their closed forms (rising over pct_start·total − 1 steps, then
// falling), and that steps past total_steps keep the last values.
func TestOneCycleCyclesAdamBeta1(t *testing.T) {
	const total, maxLR = 10, 0.4
	opt, err := New("adam", map[string]any{"lr": 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup(nil, nil); err != nil {
		t.Fatal(err)
	}
	s, err := NewSchedule("OneCycleLR", opt, map[string]any{"max_lr": maxLR, "total_steps": total, "anneal_strategy": "linear", "pct_start": 0.5})
	if err != nil {
		t.Fatal(err)
	}
	initial, final := maxLR/25, maxLR/25/1e4
	for e := 0; e <= total+3; e++ {
		if e > 0 {
			s.Step(0)
		}
		step := float64(min(e, total))
		var lr, beta1 float64
		if step <= 4 { // phase 1 ends at 0.5·10 − 1
			lr, beta1 = initial+(maxLR-initial)*step/4, 0.95+(0.85-0.95)*step/4
		} else {
			pct := (step - 4) / 5
			lr, beta1 = maxLR+(final-maxLR)*pct, 0.85+(0.95-0.85)*pct
		}
		if got := opt.LR(0); !near(got, lr, 1e-12, 1e-15) {
			t.Fatalf("step %d: lr %v, want %v", e, got, lr)
		}
		if got := opt.Algorithm().(Adam).Betas[0]; !near(got, beta1, 1e-12, 0) {
			t.Fatalf("step %d: β1 %v, want %v", e, got, beta1)
		}
	}
}
