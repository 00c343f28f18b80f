package solvers

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/descent-ml/descent/graph/param"
)

// State is an optimizer's mutable state: each group's current learning rate and
// each parameter's step count and state buffers (PyTorch's names: momentum_buffer,
// sum, square_avg, acc_delta, grad_avg, exp_avg, exp_avg_sq, max_exp_avg_sq). It
// is plain data for gob or JSON. Restoring it into an optimizer built the same
// way over the same parameters continues bit-exactly where it was taken.
type State struct {
	Optimizer string
	Groups    []GroupState
}

// GroupState is one parameter group's part of a State.
type GroupState struct {
	LR     float64
	Params []ParamState
}

// ParamState is one parameter's part of a State.
type ParamState struct {
	Name    string
	Step    int64
	Buffers map[string]*param.Buffer
}

// State returns a copy of the optimizer's state (downloaded first when the
// optimizer is on a device).
func (o *Optimizer) State() (State, error) {
	if o.device != nil {
		if err := o.pullState(); err != nil {
			return State{}, err
		}
	}
	st := State{Optimizer: o.algo.Name()}
	slots := o.algo.slots()
	for _, g := range o.groups {
		gs := GroupState{LR: g.lr}
		for _, s := range g.params {
			ps := ParamState{Name: s.param.Name, Step: s.step, Buffers: map[string]*param.Buffer{}}
			for i, b := range s.buffers {
				c := param.NewBuffer(b.Dtype(), b.Shape...)
				c.CopyFrom(b)
				ps.Buffers[slots[i].name] = c
			}
			gs.Params = append(gs.Params, ps)
		}
		st.Groups = append(st.Groups, gs)
	}
	return st, nil
}

// SetState copies st into the optimizer (and uploads it when the optimizer is
// on a device). st must come from an optimizer of the same algorithm and
// options with the same groups of parameters (same names, sizes and dtypes);
// otherwise SetState changes nothing and returns an error naming the mismatch.
func (o *Optimizer) SetState(st State) error {
	if err := o.checkState(st); err != nil {
		return err
	}
	slots := o.algo.slots()
	for gi, g := range o.groups {
		g.lr = st.Groups[gi].LR
		for pi, s := range g.params {
			ps := st.Groups[gi].Params[pi]
			s.step = ps.Step
			for i, b := range s.buffers {
				b.CopyFrom(ps.Buffers[slots[i].name])
			}
		}
	}
	if o.device != nil {
		return o.pushState()
	}
	return nil
}

func (o *Optimizer) checkState(st State) error {
	if st.Optimizer != o.algo.Name() {
		return fmt.Errorf("solvers: state of a %q optimizer, not %q", st.Optimizer, o.algo.Name())
	}
	if len(st.Groups) != len(o.groups) {
		return fmt.Errorf("solvers: state has %d parameter groups, the optimizer %d", len(st.Groups), len(o.groups))
	}
	var names []string
	for _, sl := range o.algo.slots() {
		names = append(names, sl.name)
	}
	for gi, g := range o.groups {
		gs := st.Groups[gi]
		if len(gs.Params) != len(g.params) {
			return fmt.Errorf("solvers: state group %d has %d parameters, the optimizer %d", gi, len(gs.Params), len(g.params))
		}
		if !(gs.LR >= 0) {
			return fmt.Errorf("solvers: state group %d has learning rate %v", gi, gs.LR)
		}
		for pi, s := range g.params {
			ps := gs.Params[pi]
			if ps.Name != s.param.Name {
				return fmt.Errorf("solvers: state group %d parameter %d is %q, the optimizer's %q", gi, pi, ps.Name, s.param.Name)
			}
			if ps.Step < 0 {
				return fmt.Errorf("solvers: state of %s has step %d", ps.Name, ps.Step)
			}
			got := slices.Sorted(maps.Keys(ps.Buffers))
			if !slices.Equal(got, slices.Sorted(slices.Values(names))) {
				return fmt.Errorf("solvers: state of %s has buffers [%s], want [%s]", ps.Name, strings.Join(got, " "), strings.Join(names, " "))
			}
			for i, b := range s.buffers {
				sb := ps.Buffers[names[i]]
				if sb == nil || sb.Len() != b.Len() || (b.Len() > 0 && (sb.F32 != nil) != (b.F32 != nil)) {
					return fmt.Errorf("solvers: state of %s: %s does not match %d %v values", ps.Name, names[i], b.Len(), b.Dtype())
				}
			}
		}
	}
	return nil
}
