package cudaemu

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// sizes cover a partial block, several blocks and an odd tail.
var sizes = []int{1, 7, 256, 1000, 4099}

func TestElementwise(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range sizes {
		a, b := withSpecials(random(r, n, 3)), random(r, n, 3)
		pa, pb, out := d.from(a), d.from(b), d.alloc(n)

		want := make([]float32, n)
		kernels.Add(a, b, want)
		d.run(launch.Add(pa, pb, out, n))
		exact(t, name("Add n=%d", n), d.get(out, n), want)

		kernels.AddTo(want, b)
		d.run(launch.AddTo(out, pb, n))
		exact(t, name("AddTo n=%d", n), d.get(out, n), want)

		d.run(launch.Copy(out, pa, n))
		exact(t, name("Copy n=%d", n), d.get(out, n), a)

		d.run(launch.Fill(out, -2.5, n))
		for i := range want {
			want[i] = -2.5
		}
		exact(t, name("Fill n=%d", n), d.get(out, n), want)
	}
}

// activationTwin is an activation's launch beside its Go twin, both over
// (x, dy, out): forward ones ignore dy (see forwardLaunch, forwardTwin).
type activationTwin struct {
	name   string
	launch func(x, dy, out cuda.Ptr, n int) cuda.Launch
	goTwin func(x, dy, out []float32)
	ulps   bool // evaluated with exp or tanh: libm and Go may round the last bit apart
}

func forwardLaunch(l func(x, y cuda.Ptr, n int) cuda.Launch) func(x, dy, out cuda.Ptr, n int) cuda.Launch {
	return func(x, _, y cuda.Ptr, n int) cuda.Launch { return l(x, y, n) }
}

func forwardTwin(fn func(x, y []float32)) func(x, dy, out []float32) {
	return func(x, _, y []float32) { fn(x, y) }
}

// checkActivationTwins runs every twin on the inputs drawn for each of sizes
// and compares with its Go twin: exactly, or within an ulp where ulps.
func checkActivationTwins(t *testing.T, d *device, twins []activationTwin, inputs func(n int) (x, dy []float32)) {
	t.Helper()
	for _, n := range sizes {
		x, dy := inputs(n)
		px, pdy, out := d.from(x), d.from(dy), d.alloc(n)
		for _, tw := range twins {
			want := make([]float32, n)
			tw.goTwin(x, dy, want)
			d.run(tw.launch(px, pdy, out, n))
			if tw.ulps {
				near(t, name("%s n=%d", tw.name, n), d.get(out, n), want, 1e-7)
			} else {
				exact(t, name("%s n=%d", tw.name, n), d.get(out, n), want)
			}
		}
	}
}

func TestActivations(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(3, 4))
	const slope = 0.01
	checkActivationTwins(t, d, []activationTwin{
		{"ReluForward", forwardLaunch(launch.ReluForward), forwardTwin(kernels.ReluForward[float32]), false},
		{"ReluBackward", launch.ReluBackward, kernels.ReluBackward[float32], false},
		{"LeakyReluForward", func(x, _, y cuda.Ptr, n int) cuda.Launch { return launch.LeakyReluForward(slope, x, y, n) },
			func(x, _, y []float32) { kernels.LeakyReluForward(slope, x, y) }, false},
		{"LeakyReluBackward", func(x, dy, dx cuda.Ptr, n int) cuda.Launch { return launch.LeakyReluBackward(slope, x, dy, dx, n) },
			func(x, dy, dx []float32) { kernels.LeakyReluBackward(slope, x, dy, dx) }, false},
		{"TanhForward", forwardLaunch(launch.TanhForward), forwardTwin(kernels.TanhForward[float32]), true},
		{"TanhBackward", launch.TanhBackward, kernels.TanhBackward[float32], false},
		{"SigmoidForward", forwardLaunch(launch.SigmoidForward), forwardTwin(kernels.SigmoidForward[float32]), true},
		{"SigmoidBackward", launch.SigmoidBackward, kernels.SigmoidBackward[float32], false},
	}, func(n int) (x, dy []float32) { return withSpecials(random(r, n, 6)), random(r, n, 2) })
}

func TestDropoutMatchesPhiloxStream(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 5, 1023, 4097} {
		for _, p := range []float32{0, 0.1, 0.5, 0.9} {
			for _, seed := range []uint64{0, 42, 0xdeadbeefcafef00d} {
				x := random(r, n, 1)
				seedBytes := make([]byte, 8)
				for i := range seedBytes {
					seedBytes[i] = byte(seed >> (8 * i))
				}
				ps, px, out := d.fromBytes(seedBytes), d.from(x), d.alloc(n)
				want := make([]float32, n)
				kernels.DropoutForward(seed, p, x, want)
				d.run(launch.DropoutForward(ps, p, px, out, n))
				exact(t, name("DropoutForward n=%d p=%g seed=%#x", n, p, seed), d.get(out, n), want)
				kernels.DropoutBackward(seed, p, x, want)
				d.run(launch.DropoutBackward(ps, p, px, out, n))
				exact(t, name("DropoutBackward n=%d p=%g seed=%#x", n, p, seed), d.get(out, n), want)
			}
		}
	}
}

func TestReductions(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 300, launch.ReduceChunk + 5, 3*launch.ReduceChunk - 1} {
		x := random(r, n, 2)
		px := d.from(x)
		chunks := launch.ReducePartials(n)
		partial, total := d.alloc(2*chunks), d.alloc(2)
		reduce := func(op launch.Reduction) float64 {
			d.run(launch.ReduceChunks(px, n, op, partial), launch.ReduceTotal(partial, chunks, total))
			var out [8]byte
			if err := d.emu.DownloadBytes(out[:], total); err != nil {
				t.Fatal(err)
			}
			return float64frombytes(out[:])
		}
		scratch := make([]float64, kernels.Chunks(n, kernels.OptimGrain))
		checks := []struct {
			op   launch.Reduction
			want float64
		}{
			{launch.Sum, float64(kernels.Sum(x))},
			{launch.SumAbs, kernels.SumAbs(x, scratch)},
			{launch.SumSquares, kernels.SumSquares(x, scratch)},
		}
		for _, c := range checks {
			got := reduce(c.op)
			tol := 1e-6
			if c.op == launch.Sum {
				tol = 1e-5 // kernels.Sum rounds its total to float32
			}
			near(t, name("reduction %d n=%d", c.op, n), []float32{float32(got)}, []float32{float32(c.want)}, tol)
		}
		if got := reduce(launch.NonFinite); got != 0 || !kernels.AllFinite(x, scratch) {
			t.Fatalf("finite input n=%d: NonFinite total %g, AllFinite %v", n, got, kernels.AllFinite(x, scratch))
		}
		x[n/2] = float32(mathInf())
		if err := d.emu.Upload(px, x); err != nil {
			t.Fatal(err)
		}
		if got := reduce(launch.NonFinite); got == 0 || kernels.AllFinite(x, scratch) {
			t.Fatalf("input with +Inf n=%d: NonFinite total %g, AllFinite %v", n, got, kernels.AllFinite(x, scratch))
		}
	}
}
