package cudaemu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/launch"
)

// testTarget is what the twin tests run kernels on: the emulator in the default
// build (target_nogpu_test.go), the GPU with -tags gpu (target_gpu_test.go), so
// that one suite checks both against the Go twins.
type testTarget interface {
	launch.Device
	DownloadBytes(dst []byte, src cuda.Ptr) error
}

var shared struct {
	once   sync.Once
	target testTarget
	close  func() error
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.close != nil {
		if err := shared.close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// target starts the package's target once, or skips the test when the emulator
// has no C++ compiler.
func target(t testing.TB) testTarget {
	t.Helper()
	shared.once.Do(func() { shared.target, shared.close, shared.err = startTarget() })
	if errors.Is(shared.err, ErrNoCompiler) {
		t.Skip(shared.err.Error())
	}
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.target
}

// device holds the allocations of one test.
type device struct {
	t   testing.TB
	emu testTarget
}

func newDevice(t testing.TB) *device { return &device{t: t, emu: target(t)} }

// alloc returns n floats of NaN-filled memory, freed when the test ends.
func (d *device) alloc(n int) cuda.Ptr {
	d.t.Helper()
	p, err := d.emu.Alloc(int64(4 * max(n, 1)))
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { d.emu.Free(p) })
	return p
}

// from uploads x into fresh memory.
func (d *device) from(x []float32) cuda.Ptr {
	d.t.Helper()
	p := d.alloc(len(x))
	if err := d.emu.Upload(p, x); err != nil {
		d.t.Fatal(err)
	}
	return p
}

// fromBytes uploads raw bytes into fresh memory.
func (d *device) fromBytes(b []byte) cuda.Ptr {
	d.t.Helper()
	p := d.alloc((len(b) + 3) / 4)
	if err := d.emu.UploadBytes(p, b); err != nil {
		d.t.Fatal(err)
	}
	return p
}

func (d *device) get(p cuda.Ptr, n int) []float32 {
	d.t.Helper()
	out := make([]float32, n)
	if err := d.emu.Download(out, p); err != nil {
		d.t.Fatal(err)
	}
	return out
}

func (d *device) run(ls ...cuda.Launch) {
	d.t.Helper()
	for _, l := range ls {
		if err := d.emu.Launch(l); err != nil {
			d.t.Fatal(err)
		}
	}
}

// random returns n values uniform in [-scale, scale).
func random(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = (2*r.Float32() - 1) * scale
	}
	return x
}

// withSpecials overwrites a few entries of x with NaN, ±Inf, ±0.
func withSpecials(x []float32) []float32 {
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for i, v := range specials {
		if j := i * 7; j < len(x) {
			x[j] = v
		}
	}
	return x
}

// same compares bit patterns, except that any NaN matches any NaN and −0
// matches +0: the Go kernels' zero signs depend on the CPU's instruction set
// (kernels.ReluForward(−0) is −0 with AVX-512, +0 without).
func same(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b) || (a == 0 && b == 0)
}

// exact fails unless got and want agree bit for bit (but see same).
func exact(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !same(got[i], want[i]) {
			t.Fatalf("%s[%d] = %v (%#x), Go twin gives %v (%#x)", what, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// near fails unless |got − want| ≤ tol·(1 + |want|) everywhere, NaN matching
// NaN and infinities matching exactly.
func near(t testing.TB, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if same(got[i], want[i]) {
			continue
		}
		if math.IsNaN(g) || math.IsNaN(w) || math.IsInf(w, 0) || math.Abs(g-w) > tol*(1+math.Abs(w)) {
			t.Fatalf("%s[%d] = %v, Go twin gives %v (tolerance %g)", what, i, got[i], want[i], tol)
		}
	}
}

func name(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func float64frombytes(b []byte) float64 {
	var u uint64
	for i := 7; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	return math.Float64frombits(u)
}

func mathInf() float64 { return math.Inf(1) }
