package main

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// storedCheckpoint is a checkpoint as gob writes it into checkpoint.gob.
// It holds no Go maps: gob sizes a map by the count the stream declares
// before reading any entry, so a damaged or crafted count would allocate
// without bound, where slices are checked against the input. The
// configuration is stored as its JSON (config.json's content).
type storedCheckpoint struct {
	Config    []byte
	Epoch     int
	Iteration uint64
	Params    []storedTensor
	Optimizer storedOptimizer
	Schedule  *solvers.ScheduleState
	Metrics   []recipe.EpochMetrics
	// The best epoch (0: none tracked), its monitored figure and parameters.
	BestEpoch  int
	BestValue  float64
	BestParams []storedTensor
}

type storedTensor struct {
	Name   string
	Values []float32
}

type storedOptimizer struct {
	Optimizer string
	Groups    []storedGroup
}

type storedGroup struct {
	LR     float64
	Params []storedParamState
}

type storedParamState struct {
	Name    string
	Step    int64
	Buffers []storedBuffer // sorted by slot
}

type storedBuffer struct {
	Slot  string
	Value *graph.Buffer
}

// stored converts ck for writing, in a deterministic order.
func (ck *checkpoint) stored() (*storedCheckpoint, error) {
	cfg, err := json.Marshal(ck.Config)
	if err != nil {
		return nil, err
	}
	s := &storedCheckpoint{Config: cfg, Epoch: ck.Epoch, Iteration: ck.Iteration, Schedule: ck.Schedule, Metrics: ck.Metrics,
		Optimizer: storedOptimizer{Optimizer: ck.Optimizer.Optimizer}}
	s.Params = storedTensors(ck.Params)
	if ck.Best != nil {
		s.BestEpoch, s.BestValue, s.BestParams = ck.Best.Epoch, ck.Best.Value, storedTensors(ck.Best.Params)
	}
	for _, g := range ck.Optimizer.Groups {
		sg := storedGroup{LR: g.LR}
		for _, p := range g.Params {
			sp := storedParamState{Name: p.Name, Step: p.Step}
			for slot, b := range p.Buffers {
				sp.Buffers = append(sp.Buffers, storedBuffer{Slot: slot, Value: b})
			}
			sort.Slice(sp.Buffers, func(i, j int) bool { return sp.Buffers[i].Slot < sp.Buffers[j].Slot })
			sg.Params = append(sg.Params, sp)
		}
		s.Optimizer.Groups = append(s.Optimizer.Groups, sg)
	}
	return s, nil
}

// checkpoint converts a decoded stored checkpoint back; a name given twice is
// an error.
func (s *storedCheckpoint) checkpoint() (*checkpoint, error) {
	ck := &checkpoint{Epoch: s.Epoch, Iteration: s.Iteration, Schedule: s.Schedule, Metrics: s.Metrics,
		Optimizer: solvers.State{Optimizer: s.Optimizer.Optimizer}}
	if err := json.Unmarshal(s.Config, &ck.Config); err != nil {
		return nil, fmt.Errorf("its configuration is unreadable: %w", err)
	}
	if ck.Config.Monitor == "" { // saved before -monitor, whose default it followed
		ck.Config.Monitor = trainer.MonitorValLoss
	}
	var err error
	if ck.Params, err = tensorMap("parameter", s.Params); err != nil {
		return nil, err
	}
	if s.BestEpoch != 0 {
		ck.Best = &trainer.BestState{Epoch: s.BestEpoch, Value: s.BestValue}
		if ck.Best.Params, err = tensorMap("best epoch's parameter", s.BestParams); err != nil {
			return nil, err
		}
	}
	for _, g := range s.Optimizer.Groups {
		gs := solvers.GroupState{LR: g.LR}
		for _, p := range g.Params {
			ps := solvers.ParamState{Name: p.Name, Step: p.Step, Buffers: make(map[string]*graph.Buffer, len(p.Buffers))}
			for _, b := range p.Buffers {
				if _, dup := ps.Buffers[b.Slot]; dup || b.Value == nil {
					return nil, fmt.Errorf("optimizer state %s of %s is given twice or empty", b.Slot, p.Name)
				}
				if graph.ShapeSize(b.Value.Shape) != b.Value.Len() {
					return nil, fmt.Errorf("optimizer state %s of %s: %d values for shape %v", b.Slot, p.Name, b.Value.Len(), b.Value.Shape)
				}
				ps.Buffers[b.Slot] = b.Value
			}
			gs.Params = append(gs.Params, ps)
		}
		ck.Optimizer.Groups = append(ck.Optimizer.Groups, gs)
	}
	return ck, nil
}

// storedTensors lists named tensors in name order.
func storedTensors(m map[string][]float32) []storedTensor {
	ts := make([]storedTensor, 0, len(m))
	for name, v := range m {
		ts = append(ts, storedTensor{Name: name, Values: v})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts
}

// tensorMap is the inverse of storedTensors; a name given twice is an error.
func tensorMap(what string, ts []storedTensor) (map[string][]float32, error) {
	m := make(map[string][]float32, len(ts))
	for _, t := range ts {
		if _, dup := m[t.Name]; dup {
			return nil, fmt.Errorf("it holds %s %q twice", what, t.Name)
		}
		m[t.Name] = t.Values
	}
	return m, nil
}
