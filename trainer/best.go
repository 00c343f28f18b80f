package trainer

import (
	"fmt"
	"math"
)

// Monitored figures of BestConfig.Monitor.
const (
	MonitorValLoss = "val_loss" // lower is better
	MonitorValAcc  = "val_acc"  // higher is better
)

// BestConfig sets what Best tracks.
type BestConfig struct {
	// Monitor is MonitorValLoss ("" too) or MonitorValAcc.
	Monitor string
	// MinDelta is the least change of the monitored figure that counts as an
	// improvement.
	MinDelta float64
	// Patience, when above 0, stops training once that many epochs have
	// passed without improvement (early stopping).
	Patience int
}

// BestState is what Best must carry across a resume: the best epoch, its
// monitored figure and its parameters.
type BestState struct {
	Epoch  int // 0: no epoch yet had a finite monitored figure
	Value  float64
	Params map[string][]float32
}

// Best keeps the parameters of the epoch whose validation figure was best,
// and, with a patience, stops Fit when no improvement has come for that many
// epochs. It is an epoch hook: create it with Trainer.TrackBest.
type Best struct {
	t         *Trainer
	cfg       BestConfig
	state     BestState
	onImprove []func(EpochInfo) error
}

// TrackBest adds a Best to t's epoch hooks. Hooks added earlier run before
// it sees an epoch, and those added later after; the hooks added with
// OnImprove run when an epoch improves, with the model's parameters on the
// host.
func (t *Trainer) TrackBest(cfg BestConfig) (*Best, error) {
	switch {
	case cfg.Monitor != "" && cfg.Monitor != MonitorValLoss && cfg.Monitor != MonitorValAcc:
		return nil, fmt.Errorf("trainer: monitor %q (want %s or %s)", cfg.Monitor, MonitorValLoss, MonitorValAcc)
	case math.IsNaN(cfg.MinDelta) || math.IsInf(cfg.MinDelta, 0) || cfg.MinDelta < 0:
		return nil, fmt.Errorf("trainer: min delta %v is not a finite number ≥ 0", cfg.MinDelta)
	case cfg.Patience < 0:
		return nil, fmt.Errorf("trainer: patience %d is negative", cfg.Patience)
	case cfg.Patience > 0 && t.val == nil:
		return nil, fmt.Errorf("trainer: early stopping needs a validation loader")
	}
	b := &Best{t: t, cfg: cfg}
	t.OnEpoch(b.epochEnded)
	return b, nil
}

// OnImprove adds a hook run after every epoch that improves the monitored
// figure, with that epoch's parameters on the host (to save them).
func (b *Best) OnImprove(h func(EpochInfo) error) { b.onImprove = append(b.onImprove, h) }

// Epoch is the best epoch so far (0: none).
func (b *Best) Epoch() int { return b.state.Epoch }

// Value is the best epoch's monitored figure (NaN: none).
func (b *Best) Value() float64 {
	if b.state.Epoch == 0 {
		return math.NaN()
	}
	return b.state.Value
}

// Stopped reports whether the patience has run out: the trainer's epoch is
// Patience or more epochs past the best one. A resumed run in that state
// has stopped already.
func (b *Best) Stopped() bool {
	return b.cfg.Patience > 0 && b.t.epoch-b.state.Epoch >= b.cfg.Patience
}

// State returns a copy of the tracking state, for a checkpoint.
func (b *Best) State() BestState {
	s := BestState{Epoch: b.state.Epoch, Value: b.state.Value}
	if b.state.Params != nil {
		s.Params = make(map[string][]float32, len(b.state.Params))
		for name, v := range b.state.Params {
			s.Params[name] = append([]float32(nil), v...)
		}
	}
	return s
}

// Restore continues tracking from a saved state, checking that it holds the
// parameters of its best epoch, tensor by tensor, for this model.
func (b *Best) Restore(s BestState) error {
	if s.Epoch < 0 || s.Epoch > b.t.epoch {
		return fmt.Errorf("best epoch %d is not one of the %d epochs run", s.Epoch, b.t.epoch)
	}
	if s.Epoch > 0 {
		if !isFinite(s.Value) {
			return fmt.Errorf("the best epoch's %s is %v", b.monitor(), s.Value)
		}
		if err := b.t.checkParams(s.Params); err != nil {
			return fmt.Errorf("best epoch's parameters: %w", err)
		}
	}
	b.state = BestState{Epoch: s.Epoch, Value: s.Value}
	if s.Epoch > 0 {
		b.state.Params = make(map[string][]float32, len(s.Params))
		for name, v := range s.Params {
			b.state.Params[name] = append([]float32(nil), v...)
		}
	}
	return nil
}

// RestoreBest sets the model's parameters to the best epoch's; without a
// best epoch it leaves them.
func (b *Best) RestoreBest() error {
	if b.state.Epoch == 0 {
		return nil
	}
	return b.t.RestoreParams(b.state.Params)
}

func (b *Best) monitor() string {
	if b.cfg.Monitor == "" {
		return MonitorValLoss
	}
	return b.cfg.Monitor
}

// improves reports whether v beats the best figure by more than MinDelta.
func (b *Best) improves(v float64) bool {
	if !isFinite(v) {
		return false
	}
	if b.state.Epoch == 0 {
		return true
	}
	if b.monitor() == MonitorValAcc {
		return v > b.state.Value+b.cfg.MinDelta
	}
	return v < b.state.Value-b.cfg.MinDelta
}

func (b *Best) epochEnded(e EpochInfo) error {
	v := e.Val.Loss
	if b.monitor() == MonitorValAcc {
		v = e.Val.Accuracy
	}
	if b.improves(v) {
		if err := b.t.Sync(); err != nil {
			return err
		}
		params, err := snapshot(b.t.model)
		if err != nil {
			return err
		}
		b.state = BestState{Epoch: e.Epoch, Value: v, Params: params}
		for _, h := range b.onImprove {
			if err := h(e); err != nil {
				return err
			}
		}
	}
	if b.Stopped() {
		return Stop
	}
	return nil
}
