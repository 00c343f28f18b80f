package trainer_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/augment"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// overfitRun is a linear classifier of 144 inputs trained with a large
// learning rate on 12 bars images: its validation loss falls for a few
// epochs, then rises as it memorizes the training images.
func overfitRun(t *testing.T) *run { return overfitRunOn(t, cpu) }

// overfitRunOn is overfitRun on the backend that backend makes.
func overfitRunOn(t *testing.T, backend backendFor) *run {
	t.Helper()
	net := layers.Sequential{layers.Flatten{}, layers.Linear{Name: "fc", In: 144, Out: 3}}
	m, err := layers.Build(net, []int{12, 1, 12, 12}, tensor.Float32, 5)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := solvers.New("adam", map[string]any{"lr": 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if err := opt.AddGroup(m.Trainable(), nil); err != nil {
		t.Fatal(err)
	}
	loader := func(n int, seed uint64, shuffle bool) trainer.Loader {
		l, err := augment.NewLoader(bars(n, seed), augment.Config{BatchSize: 12, Seed: 3, Shuffle: shuffle, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return trainer.Images(l)
	}
	r := &run{train: loader(12, 11, true), val: loader(60, 12, false), test: loader(60, 13, false)}
	b, err := backend(m)
	if err != nil {
		t.Fatal(err)
	}
	if r.t, err = trainer.New(trainer.Config{Model: m, Backend: b, Optimizer: opt, Train: r.train, Val: r.val}); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEarlyStoppingKeepsTheBestEpoch: with a patience of 3 the run stops 3
// epochs after its lowest validation loss, the hook saw every improvement,
// and RestoreBest brings back the parameters of the best epoch (their
// validation figures are the best epoch's), on the CPU and on the emulated
// device, where the parameters live on the device.
func TestEarlyStoppingKeepsTheBestEpoch(t *testing.T) {
	onDevice := emulated(t)
	for name, backend := range map[string]backendFor{"cpu": cpu, "device": onDevice} {
		t.Run(name, func(t *testing.T) { earlyStoppingKeepsTheBestEpoch(t, backend) })
	}
}

func earlyStoppingKeepsTheBestEpoch(t *testing.T, backend backendFor) {
	r := overfitRunOn(t, backend)
	var losses []float64
	r.t.OnEpoch(func(e trainer.EpochInfo) error { losses = append(losses, e.Val.Loss); return nil })
	best, err := r.t.TrackBest(trainer.BestConfig{Monitor: trainer.MonitorValLoss, Patience: 3})
	if err != nil {
		t.Fatal(err)
	}
	var improved []int
	best.OnImprove(func(e trainer.EpochInfo) error { improved = append(improved, e.Epoch); return nil })
	if err := r.t.Fit(context.Background(), 40); err != nil {
		t.Fatal(err)
	}
	t.Logf("validation losses %.4f", losses)
	// The expected run, computed from the losses alone.
	want, bestLoss := 0, math.Inf(1)
	var wantImproved []int
	stop := len(losses)
	for i, l := range losses {
		if l < bestLoss {
			want, bestLoss = i+1, l
			wantImproved = append(wantImproved, i+1)
		}
		if i+1-want >= 3 {
			stop = i + 1
			break
		}
	}
	if stop == 40 || r.t.Epoch() != stop || len(losses) != stop {
		t.Fatalf("stopped after epoch %d of 40 (%d seen), want an early stop after %d", r.t.Epoch(), len(losses), stop)
	}
	if best.Epoch() != want || best.Value() != bestLoss || !best.Stopped() {
		t.Errorf("best epoch %d (loss %v, stopped %v), want %d (%v)", best.Epoch(), best.Value(), best.Stopped(), want, bestLoss)
	}
	if len(improved) != len(wantImproved) || improved[len(improved)-1] != want {
		t.Errorf("improvement hook ran after epochs %v, want %v", improved, wantImproved)
	}
	if err := best.RestoreBest(); err != nil {
		t.Fatal(err)
	}
	if res, err := r.t.Evaluate(r.val); err != nil || res.Loss != bestLoss {
		t.Errorf("validation loss after RestoreBest %v (%v), want the best epoch's %v", res.Loss, err, bestLoss)
	}
}

// TestBestTrackingResumesBitExactly: a run stopped after epoch 2 and resumed
// from its trainer and Best states stops at the same epoch with the same best
// epoch and bit-identical best parameters as an uninterrupted run.
func TestBestTrackingResumesBitExactly(t *testing.T) {
	cfg := trainer.BestConfig{Monitor: trainer.MonitorValAcc, MinDelta: 0.01, Patience: 2}
	whole := overfitRun(t)
	wholeBest, err := whole.t.TrackBest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := whole.t.Fit(context.Background(), 40); err != nil {
		t.Fatal(err)
	}
	first := overfitRun(t)
	firstBest, err := first.t.TrackBest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.t.Fit(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
	resumed := overfitRun(t)
	resumedBest, err := resumed.t.TrackBest(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := resumed.t.Restore(mustState(t, first.t)); err != nil {
		t.Fatal(err)
	}
	if err := resumedBest.Restore(firstBest.State()); err != nil {
		t.Fatal(err)
	}
	if err := resumed.t.Fit(context.Background(), 40); err != nil {
		t.Fatal(err)
	}
	if whole.t.Epoch() == 40 || resumed.t.Epoch() != whole.t.Epoch() || resumedBest.Epoch() != wholeBest.Epoch() {
		t.Fatalf("uninterrupted: stopped after %d, best %d; resumed: %d, best %d",
			whole.t.Epoch(), wholeBest.Epoch(), resumed.t.Epoch(), resumedBest.Epoch())
	}
	sameParams(t, "uninterrupted best", trainer.State{Params: wholeBest.State().Params},
		"resumed best", trainer.State{Params: resumedBest.State().Params})
	sameParams(t, "uninterrupted", mustState(t, whole.t), "resumed", mustState(t, resumed.t))
}

// TestTrackBestRefusesBadSettings: each bad setting is an error naming it.
func TestTrackBestRefusesBadSettings(t *testing.T) {
	r := overfitRun(t)
	for _, cfg := range []trainer.BestConfig{{Monitor: "train_loss"}, {MinDelta: math.NaN()}, {MinDelta: -1}, {Patience: -1}} {
		if _, err := r.t.TrackBest(cfg); err == nil {
			t.Errorf("TrackBest(%+v) accepted", cfg)
		}
	}
	b, err := r.t.TrackBest(trainer.BestConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Restore(trainer.BestState{Epoch: 1, Value: 0.5}); err == nil {
		t.Error("restoring a best epoch that was never run was accepted")
	}
}

// failingLoader yields its loader's batches, then reports an error, as a
// streaming loader whose image could not be read.
type failingLoader struct {
	trainer.Loader
	err error
}

func (f failingLoader) Err() error { return f.err }

// TestLoaderErrorEndsFit: an error kept by the training or validation loader
// (ErrLoader) ends Fit and Evaluate with it instead of a short epoch passing
// for a whole one.
func TestLoaderErrorEndsFit(t *testing.T) {
	bad := errors.New("data: x.jpg: unexpected EOF")
	r := overfitRun(t)
	tr, err := trainer.New(trainer.Config{Model: r.t.Model(), Optimizer: r.t.Optimizer(), Train: failingLoader{r.train, bad}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), 1); !errors.Is(err, bad) || tr.Epoch() != 0 {
		t.Errorf("Fit: %v after %d epochs", err, tr.Epoch())
	}
	if _, err := r.t.Evaluate(failingLoader{r.val, bad}); !errors.Is(err, bad) {
		t.Errorf("Evaluate: %v", err)
	}
}

// TestEveryEpochHookSeesTheStoppingEpoch: hooks added after one that returns
// Stop still see that epoch, and Fit then ends without an error.
func TestEveryEpochHookSeesTheStoppingEpoch(t *testing.T) {
	r := overfitRun(t)
	r.t.OnEpoch(func(e trainer.EpochInfo) error {
		if e.Epoch == 2 {
			return trainer.Stop
		}
		return nil
	})
	var seen []int
	r.t.OnEpoch(func(e trainer.EpochInfo) error { seen = append(seen, e.Epoch); return nil })
	if err := r.t.Fit(context.Background(), 5); err != nil || r.t.Epoch() != 2 || len(seen) != 2 {
		t.Errorf("Fit: %v after %d epochs; the later hook saw %v", err, r.t.Epoch(), seen)
	}
}
