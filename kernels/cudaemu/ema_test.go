package cudaemu

import (
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

// TestEMAUpdate compares the fused EMA update with its Go twin, bit for bit,
// over several steps with changing decays (as the warm-up makes them).
func TestEMAUpdate(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(21, 22))
	for _, n := range sizes {
		ema, w := withSpecials(random(r, n, 3)), random(r, n, 3)
		pe, pw, rates := d.from(ema), d.from(w), d.alloc(2)
		for step, decay := range []float64{0.1, 0.5, 0.9999} {
			if err := d.emu.Upload(rates, launch.EMARates(decay)); err != nil {
				t.Fatal(err)
			}
			kernels.EMAUpdate(decay, ema, w)
			d.run(launch.EMAUpdate(rates, pe, pw, n))
			exact(t, name("EMAUpdate n=%d step %d", n, step), d.get(pe, n), ema)
		}
	}
}
