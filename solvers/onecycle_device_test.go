package solvers_test

import (
	"errors"
	"testing"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
)

// TestDeviceOptimizerFollowsOneCycle steps a device optimizer and a host one
// under OneCycleLR, which changes the rate and SGD's momentum or Adam's β1
// every step: the device's hyperparameter rows must follow both.
func TestDeviceOptimizerFollowsOneCycle(t *testing.T) {
	for _, c := range []struct {
		name string
		opts map[string]any
	}{
		{"sgd", map[string]any{"lr": 0.1, "momentum": 0.9}},
		{"adam", map[string]any{"lr": 0.01}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, b, x, labels := deviceModel(t, testDevice)
			host := mirror(m.Params)
			devOpt := newGroupedOptimizer(t, c.name, c.opts, m.Params)
			hostOpt := newGroupedOptimizer(t, c.name, c.opts, host)
			cycle := map[string]any{"max_lr": []float64{0.05, 0.02}, "total_steps": 6, "pct_start": 0.5, "base_momentum": 0.5, "max_momentum": 0.9}
			var schedules []solvers.Schedule
			for _, o := range []*solvers.Optimizer{devOpt, hostOpt} {
				s, err := solvers.NewSchedule("OneCycleLR", o, cycle)
				if err != nil {
					t.Fatal(err)
				}
				schedules = append(schedules, s)
			}
			if err := devOpt.OnDevice(b); err != nil {
				t.Fatal(err)
			}
			mc := graph.NewMachine(m, b)
			for step := 1; step <= 4; step++ {
				trainGradientsToHost(t, mc, b, x, labels, m.Params, host)
				if err := errors.Join(hostOpt.Step(), devOpt.Step()); err != nil {
					t.Fatal(err)
				}
				for _, s := range schedules {
					s.Step(0)
				}
				checkSameParams(t, b, m.Params, host, step)
			}
			if got, _ := devOpt.Momentum(); got == 0.9 {
				t.Errorf("the momentum did not move from max_momentum")
			}
		})
	}
}
