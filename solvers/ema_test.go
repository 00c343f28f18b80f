package solvers

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// emaParams are two trainable tensors and a state tensor with random values.
func emaParams(rng *rand.Rand, dt tensor.Dtype) []*graph.Param {
	mk := func(name string, kind graph.ParamKind, n int) *graph.Param {
		p := &graph.Param{Name: name, Kind: kind, Value: graph.NewBuffer(dt, n)}
		if kind != graph.State {
			p.Grad = graph.NewBuffer(dt, n)
		}
		for i := 0; i < n; i++ {
			p.Value.Set(i, rng.NormFloat64())
		}
		return p
	}
	return []*graph.Param{mk("fc.weight", graph.Weight, 5), mk("bn.running_mean", graph.State, 3), mk("fc.bias", graph.Bias, 2)}
}

// perturb moves every parameter, as an optimizer step and a forward pass would.
func perturb(rng *rand.Rand, params []*graph.Param) {
	for _, p := range params {
		for i := 0; i < p.Value.Len(); i++ {
			p.Value.Set(i, p.Value.At(i)+0.3*rng.NormFloat64())
		}
	}
}

// TestEMAFollowsDefinition checks average_t+1 = d_t·average_t + (1−d_t)·θ with
// d_t = decay, or min(decay, (1+t)/(10+t)) with warm-up, starting from the
// initial values; state tensors are the model's own in Weights.
func TestEMAFollowsDefinition(t *testing.T) {
	for _, warmup := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(9, 10))
		params := emaParams(rng, tensor.Float64)
		const decay = 0.5
		e, err := NewEMA(params, decay, warmup)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]float64{}
		for _, p := range params {
			want[p.Name] = append([]float64(nil), p.Value.F64...)
		}
		decays := []float64{0.1, 2.0 / 11, 3.0 / 12, 4.0 / 13, 5.0 / 14, 6.0 / 15, 7.0 / 16, 8.0 / 17, 0.5, 0.5} // 9/18 reaches decay
		for step, d := range decays {
			if !warmup {
				d = decay
			}
			if got := e.DecayAt(int64(step)); got != d {
				t.Fatalf("warm-up %t: decay of update %d is %v, want %v", warmup, step, got, d)
			}
			perturb(rng, params)
			if err := e.Update(); err != nil {
				t.Fatal(err)
			}
			for _, p := range params {
				for i, v := range p.Value.F64 {
					want[p.Name][i] = d*want[p.Name][i] + (1-d)*v
				}
			}
		}
		if e.Updates() != int64(len(decays)) {
			t.Errorf("Updates() = %d, want %d", e.Updates(), len(decays))
		}
		for _, w := range e.Weights() {
			p := params[0]
			for _, q := range params {
				if q.Name == w.Name {
					p = q
				}
			}
			expect := want[w.Name]
			if p.Kind == graph.State {
				expect = p.Value.F64 // copied, not averaged
			}
			for i, v := range w.Value.F64 {
				if math.Abs(v-expect[i]) > 1e-15*(1+math.Abs(expect[i])) {
					t.Fatalf("warm-up %t: %s[%d] = %v, want %v", warmup, w.Name, i, v, expect[i])
				}
			}
		}
	}
}

func TestEMARejectsBadDecay(t *testing.T) {
	params := emaParams(rand.New(rand.NewPCG(1, 1)), tensor.Float32)
	for _, decay := range []float64{0, 1, -0.5, 1.5, math.NaN()} {
		if _, err := NewEMA(params, decay, false); err == nil || !strings.Contains(err.Error(), "outside (0, 1)") {
			t.Errorf("decay %v: error %v", decay, err)
		}
	}
}

// TestEMASwap checks that Swap puts the averages into the model's own buffers
// and that a second Swap restores the model.
func TestEMASwap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	params := emaParams(rng, tensor.Float32)
	e, err := NewEMA(params, 0.9, false)
	if err != nil {
		t.Fatal(err)
	}
	perturb(rng, params)
	if err := e.Update(); err != nil {
		t.Fatal(err)
	}
	buffers := []*graph.Buffer{params[0].Value, params[1].Value, params[2].Value}
	model := append([]float32(nil), params[0].Value.F32...)
	ema := e.Weights()
	e.Swap()
	for i, p := range params {
		if p.Value != buffers[i] {
			t.Fatalf("Swap replaced the buffer of %s", p.Name)
		}
		if !reflect.DeepEqual(p.Value.F32, ema[i].Value.F32) {
			t.Errorf("after Swap %s holds %v, want the EMA's %v", p.Name, p.Value.F32, ema[i].Value.F32)
		}
	}
	e.Swap()
	if !reflect.DeepEqual(params[0].Value.F32, model) {
		t.Errorf("a second Swap left %v, want %v", params[0].Value.F32, model)
	}
}

// TestEMAStateResumesBitExactly interrupts an EMA, restores its state through
// JSON and gob into a fresh one, and compares with one that never stopped.
func TestEMAStateResumesBitExactly(t *testing.T) {
	for _, useGob := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(5, 6))
		params := emaParams(rng, tensor.Float32)
		whole, err := NewEMA(params, 0.99, true)
		if err != nil {
			t.Fatal(err)
		}
		var resumed *EMA
		for step := 0; step < 8; step++ {
			if step == 3 {
				if resumed, err = NewEMA(params, 0.99, true); err != nil {
					t.Fatal(err)
				}
				if err := resumed.SetState(roundTrip(t, whole.State(), useGob)); err != nil {
					t.Fatal(err)
				}
			}
			perturb(rng, params)
			for _, e := range []*EMA{whole, resumed} {
				if e != nil {
					if err := e.Update(); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if !reflect.DeepEqual(resumed.State(), whole.State()) {
			t.Errorf("gob %t: resumed state %+v, want %+v", useGob, resumed.State(), whole.State())
		}
	}
}

func TestEMASetStateRejectsMismatches(t *testing.T) {
	params := emaParams(rand.New(rand.NewPCG(7, 8)), tensor.Float32)
	e, err := NewEMA(params, 0.9, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		want   string
		change func(st *EMAState)
	}{
		{"decay 0.5", func(st *EMAState) { st.Decay = 0.5 }},
		{"warm-up true", func(st *EMAState) { st.Warmup = true }},
		{"-1 updates", func(st *EMAState) { st.Updates = -1 }},
		{"fc.bias", func(st *EMAState) { delete(st.Averages, "fc.bias") }},
		{"fc.weight", func(st *EMAState) { st.Averages["fc.weight"] = graph.NewBuffer(tensor.Float64, 5) }},
		{"3 tensors", func(st *EMAState) { st.Averages["bn.running_mean"] = graph.NewBuffer(tensor.Float32, 3) }},
	} {
		st := e.State()
		before := e.State()
		tc.change(&st)
		if err := e.SetState(st); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SetState: error %v, want one naming %q", err, tc.want)
		}
		if !reflect.DeepEqual(e.State(), before) {
			t.Errorf("a rejected SetState (%s) changed the EMA", tc.want)
		}
	}
}
