package cudaemu

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// flatRegion is a multi-tensor region on the device and its Go mirror: every
// tensor at its FlatLayout offset, zeros between them.
type flatRegion struct {
	host []float32
	dev  cuda.Ptr
}

// optimCase holds two tensors in two parameter groups with different
// hyperparameters and a third outside the optimizer (group −1, which the
// kernels must leave alone), the layout the fused kernels expect.
type optimCase struct {
	d       *device
	sizes   []int
	offsets []int
	total   int
	group   cuda.Ptr
}

func newOptimCase(d *device) *optimCase {
	c := &optimCase{d: d, sizes: []int{1500, 333, 700}}
	c.offsets, c.total = launch.FlatLayout(c.sizes)
	table := launch.GroupTable(c.offsets, c.sizes, []int{0, 1, -1}, c.total)
	b := make([]byte, 4*len(table))
	for i, g := range table {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(g))
	}
	c.group = d.fromBytes(b)
	return c
}

// region fills each tensor from fill (nil: zeros) and uploads the region.
// The frozen tensor starts with a NaN, which an update would spread.
func (c *optimCase) region(fill func() float32) *flatRegion {
	h := make([]float32, c.total)
	if fill != nil {
		for k, off := range c.offsets {
			for i := off; i < off+c.sizes[k]; i++ {
				h[i] = fill()
			}
		}
		h[c.offsets[2]] = float32(math.NaN())
	}
	return &flatRegion{host: h, dev: c.d.from(h)}
}

// tensor is tensor k of a region's Go mirror.
func (c *optimCase) tensor(f *flatRegion, k int) []float32 {
	return f.host[c.offsets[k] : c.offsets[k]+c.sizes[k]]
}

func (c *optimCase) hyper(rows ...[]float32) cuda.Ptr {
	var all []float32
	for _, r := range rows {
		all = append(all, r...)
	}
	return c.d.from(all)
}

// check compares each region with its Go mirror, padding included. The
// kernels follow optim.go's operation order, but optim.go is tuned for speed
// with reorderings that are equal up to rounding, so a few ulps are allowed.
func (c *optimCase) check(t *testing.T, what string, regions ...*flatRegion) {
	t.Helper()
	for i, f := range regions {
		near(t, name("%s region %d", what, i), c.d.get(f.dev, c.total), f.host, 1e-6)
	}
}

func TestOptimizers(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(21, 22))
	normal := func() float32 { return float32(r.NormFloat64()) }

	t.Run("SGD", func(t *testing.T) {
		type opts struct {
			lr, momentum, dampening, wd float64
			nesterov                    bool
		}
		for _, groups := range [][2]opts{
			{{0.1, 0.9, 0, 1e-4, false}, {0.05, 0.8, 0.1, 0, true}},
			{{0.1, 0, 0, 1e-2, false}, {0.2, 0.9, 0, 0, false}}, // a group without momentum
		} {
			c := newOptimCase(d)
			w, buf := c.region(normal), c.region(nil)
			for step := 1; step <= 3; step++ {
				g := c.region(normal)
				var rows [][]float32
				for k, o := range groups {
					var b []float32
					if o.momentum != 0 {
						b = c.tensor(buf, k)
					}
					kernels.SGD(c.tensor(w, k), c.tensor(g, k), b, o.lr, o.momentum, o.dampening, o.wd, o.nesterov, step == 1)
					rows = append(rows, kernels.SGDHyper(nil, o.lr, o.momentum, o.dampening, o.wd, o.nesterov, step == 1))
				}
				d.run(launch.SGD(w.dev, g.dev, buf.dev, c.hyper(rows...), c.group, 0, c.total))
				c.check(t, name("SGD %+v step %d", groups, step), w, buf)
			}
		}
	})

	t.Run("Adagrad", func(t *testing.T) {
		c := newOptimCase(d)
		w, sum := c.region(normal), c.region(nil)
		for step := 1; step <= 3; step++ {
			g := c.region(normal)
			clr := []float64{0.1 / (1 + float64(step-1)*0.01), 0.3}
			wd := []float64{0, 1e-3}
			for k := range clr {
				kernels.Adagrad(c.tensor(w, k), c.tensor(g, k), c.tensor(sum, k), clr[k], wd[k], 1e-10)
			}
			hyper := c.hyper(kernels.AdagradHyper(nil, clr[0], wd[0], 1e-10), kernels.AdagradHyper(nil, clr[1], wd[1], 1e-10))
			d.run(launch.Adagrad(w.dev, g.dev, sum.dev, hyper, c.group, 0, c.total))
			c.check(t, name("Adagrad step %d", step), w, sum)
		}
	})

	t.Run("Adadelta", func(t *testing.T) {
		c := newOptimCase(d)
		w, sq, acc := c.region(normal), c.region(nil), c.region(nil)
		for step := 1; step <= 3; step++ {
			g := c.region(normal)
			kernels.Adadelta(c.tensor(w, 0), c.tensor(g, 0), c.tensor(sq, 0), c.tensor(acc, 0), 1, 0.9, 1e-6, 0)
			kernels.Adadelta(c.tensor(w, 1), c.tensor(g, 1), c.tensor(sq, 1), c.tensor(acc, 1), 0.5, 0.95, 1e-5, 1e-2)
			hyper := c.hyper(kernels.AdadeltaHyper(nil, 1, 0.9, 1e-6, 0), kernels.AdadeltaHyper(nil, 0.5, 0.95, 1e-5, 1e-2))
			d.run(launch.Adadelta(w.dev, g.dev, sq.dev, acc.dev, hyper, c.group, 0, c.total))
			c.check(t, name("Adadelta step %d", step), w, sq, acc)
		}
	})

	t.Run("RMSProp", func(t *testing.T) {
		c := newOptimCase(d)
		w, sq, ga, buf := c.region(normal), c.region(nil), c.region(nil), c.region(nil)
		for step := 1; step <= 3; step++ {
			g := c.region(normal)
			// Group 0: centered with momentum; group 1: plain.
			kernels.RMSProp(c.tensor(w, 0), c.tensor(g, 0), c.tensor(sq, 0), c.tensor(ga, 0), c.tensor(buf, 0), 0.01, 0.99, 1e-8, 1e-4, 0.9)
			kernels.RMSProp(c.tensor(w, 1), c.tensor(g, 1), c.tensor(sq, 1), nil, nil, 0.02, 0.9, 1e-6, 0, 0)
			hyper := c.hyper(kernels.RMSPropHyper(nil, 0.01, 0.99, 1e-8, 1e-4, 0.9, true), kernels.RMSPropHyper(nil, 0.02, 0.9, 1e-6, 0, 0, false))
			d.run(launch.RMSProp(w.dev, g.dev, sq.dev, ga.dev, buf.dev, hyper, c.group, 0, c.total))
			c.check(t, name("RMSProp step %d", step), w, sq, ga, buf)
		}
	})

	t.Run("Adam", func(t *testing.T) {
		for _, decoupled := range []bool{false, true} {
			c := newOptimCase(d)
			w, m, v, vmax := c.region(normal), c.region(nil), c.region(nil), c.region(nil)
			for step := int64(1); step <= 3; step++ {
				g := c.region(normal)
				adam := kernels.Adam[float32]
				if decoupled {
					adam = kernels.AdamW[float32]
				}
				// Group 0 with AMSGrad, group 1 without.
				adam(c.tensor(w, 0), c.tensor(g, 0), c.tensor(m, 0), c.tensor(v, 0), c.tensor(vmax, 0), 1e-3, 0.9, 0.999, 1e-8, 1e-2, step)
				adam(c.tensor(w, 1), c.tensor(g, 1), c.tensor(m, 1), c.tensor(v, 1), nil, 3e-3, 0.8, 0.99, 1e-6, 0, step)
				hyper := c.hyper(kernels.AdamHyper(nil, 1e-3, 0.9, 0.999, 1e-8, 1e-2, step, decoupled, true),
					kernels.AdamHyper(nil, 3e-3, 0.8, 0.99, 1e-6, 0, step, decoupled, false))
				d.run(launch.Adam(w.dev, g.dev, m.dev, v.dev, vmax.dev, hyper, c.group, 0, c.total))
				c.check(t, name("Adam decoupled=%t step %d", decoupled, step), w, m, v, vmax)
			}
		}
	})

	t.Run("Penalty and clipping", func(t *testing.T) {
		n := 2000
		w, g := withSpecials(random(r, n, 2)), random(r, n, 2)
		w[3] = 0
		pw, pg := d.from(w), d.from(g)
		kernels.PenaltyGrad(w, g, 1e-3, 5e-4)
		d.run(launch.PenaltyGrad(pw, pg, 1e-3, 5e-4, n))
		exact(t, "PenaltyGrad", d.get(pg, n), g)
		for _, sumSquares := range []float64{16, 1, math.Inf(1), math.NaN()} { // factors 0.5, above 1, 0, NaN
			kernels.ClipScale(g, sumSquares, 2)
			d.run(launch.ClipScale(pg, double(d, sumSquares), 2, n))
			exact(t, name("ClipScale of Σg² %v", sumSquares), d.get(pg, n), g)
			if math.IsInf(sumSquares, 0) { // all zeros from here on: start again
				g = random(r, n, 2)
				if err := d.emu.Upload(pg, g); err != nil {
					t.Fatal(err)
				}
			}
		}
		g[5] = float32(math.NaN())
		if err := d.emu.Upload(pg, g); err != nil {
			t.Fatal(err)
		}
		before := append([]float32(nil), g...)
		d.run(launch.GradClamp(pg, 0.5, double(d, math.NaN()), n))
		exact(t, "GradClamp skipped", d.get(pg, n), before)
		kernels.GradClamp(g, 0.5)
		d.run(launch.GradClamp(pg, 0.5, double(d, 0), n))
		exact(t, "GradClamp", d.get(pg, n), g)
	})

	t.Run("skip", func(t *testing.T) {
		// A non-zero flag (the non-finite check's total: NaN or ±Inf) leaves
		// parameters and state alone; a zero flag updates as without one.
		c := newOptimCase(d)
		w, m, v, vmax := c.region(normal), c.region(nil), c.region(nil), c.region(nil)
		g := c.region(normal)
		hyper := c.hyper(kernels.AdamHyper(nil, 1e-3, 0.9, 0.999, 1e-8, 0, 1, false, true), kernels.AdamHyper(nil, 1e-3, 0.9, 0.999, 1e-8, 0, 1, false, false))
		for _, bad := range []float64{math.NaN(), math.Inf(1)} {
			d.run(launch.Adam(w.dev, g.dev, m.dev, v.dev, vmax.dev, hyper, c.group, double(d, bad), c.total))
			c.check(t, name("Adam skipped by %v", bad), w, m, v, vmax)
		}
		kernels.Adam(c.tensor(w, 0), c.tensor(g, 0), c.tensor(m, 0), c.tensor(v, 0), c.tensor(vmax, 0), 1e-3, 0.9, 0.999, 1e-8, 0, 1)
		kernels.Adam(c.tensor(w, 1), c.tensor(g, 1), c.tensor(m, 1), c.tensor(v, 1), nil, 1e-3, 0.9, 0.999, 1e-8, 0, 1)
		d.run(launch.Adam(w.dev, g.dev, m.dev, v.dev, vmax.dev, hyper, c.group, double(d, 0), c.total))
		c.check(t, "Adam with a zero flag", w, m, v, vmax)
	})
}

// double puts one float64 into device memory.
func double(d *device, v float64) cuda.Ptr {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, math.Float64bits(v))
	return d.fromBytes(b)
}
