package graph

import (
	"fmt"
	"slices"
	"time"
)

// LayerTime is the time one layer's steps took in a training step.
type LayerTime struct {
	Layer             string
	Forward, Backward time.Duration
	Steps             []StepTime // the layer's kernel launches, in program order
}

// StepTime is the median time of one kernel launch of a training step.
type StepTime struct {
	Name     string
	Backward bool
	Time     time.Duration
}

// Profile runs repeats training steps on the CPU backend, timing every kernel
// launch, and returns the median time per layer in order of the forward pass,
// with the median of each of its launches.
// It leaves the parameters' gradients as a training step would.
func Profile(mc *Machine, x, labels *Buffer, repeats int) ([]LayerTime, error) {
	if _, ok := mc.Backend.(CPU); !ok {
		return nil, fmt.Errorf("per-layer profiles run on the cpu backend, not %s", mc.Backend.Name())
	}
	p, err := mc.bind(x, labels, true)
	if err != nil {
		return nil, err
	}
	samples := make([][]time.Duration, len(p.Steps))
	for r := 0; r < repeats+1; r++ { // the first run warms up
		ctx := &execContext{training: true, iteration: mc.iteration, work: p.Workspace}
		for i := range p.Steps {
			s := &p.Steps[i]
			start := time.Now()
			if err := s.k.exec(ctx, s.In, s.Out); err != nil {
				return nil, fmt.Errorf("step %d (%s): %w", i, s.Name, err)
			}
			if r > 0 {
				samples[i] = append(samples[i], time.Since(start))
			}
		}
	}
	var out []LayerTime
	index := map[string]int{}
	for i, s := range p.Steps {
		j, ok := index[s.Layer]
		if !ok {
			j = len(out)
			index[s.Layer] = j
			out = append(out, LayerTime{Layer: s.Layer})
		}
		d := median(samples[i])
		out[j].Steps = append(out[j].Steps, StepTime{Name: s.Name, Backward: s.Backward, Time: d})
		if s.Backward {
			out[j].Backward += d
		} else {
			out[j].Forward += d
		}
	}
	return out, nil
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
