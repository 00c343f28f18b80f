package augment

import (
	"math/rand/v2"

	"github.com/descent-ml/descent/data"
)

// Context is what a transform uses for one sample: the sample's random generator and
// scratch memory that is reused from sample to sample. Each worker owns one; a
// Context is not safe for concurrent use.
type Context struct {
	// Rand draws the random parameters of the sample's transforms.
	Rand *rand.Rand

	pcg    *rand.PCG
	temps  []*data.Image // one intermediate image per Pipeline nesting depth
	depth  int
	resize resizeScratch
}

// NewContext returns a Context whose generator is seeded as sample 0 of epoch 0 of
// run seed.
func NewContext(seed uint64) *Context {
	c := &Context{pcg: rand.NewPCG(0, 0)}
	c.Rand = rand.New(c.pcg)
	c.Seed(seed, 0, 0)
	return c
}

// Seed restarts the generator at the stream of one sample: a function of the run
// seed, the epoch and the sample's index in the dataset only, so a sample draws the
// same parameters whichever worker prepares it and whatever the batch size.
func (c *Context) Seed(seed uint64, epoch, index int) {
	c.pcg.Seed(mix64(seed^mix64(uint64(epoch)+epochStream)), mix64(uint64(index)^mix64(seed+sampleStream)))
}

// epochStream and sampleStream (SplitMix64's increment, and an odd constant
// of its own) keep epoch 0, sample 0 and seed 0 from mapping to the same
// words of the generator's state.
const (
	epochStream  = 0x9e3779b97f4a7c15
	sampleStream = 0x632be59bd9b4e019
)

// mix64 is the SplitMix64 finaliser: a bijection that spreads every input bit over
// the whole output, so nearby seeds, epochs and indices give unrelated streams.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// uniform draws from [lo, hi).
func (c *Context) uniform(lo, hi float64) float64 {
	return lo + (hi-lo)*c.Rand.Float64()
}

// intIn draws an integer from [lo, hi].
func (c *Context) intIn(lo, hi int) int {
	return lo + c.Rand.IntN(hi-lo+1)
}

// grow returns s resized to n elements, reallocated only when too small; the
// contents are undefined.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// pushTemp returns the intermediate image of the next nesting depth; popTemp
// releases it.
func (c *Context) pushTemp() *data.Image {
	if c.depth == len(c.temps) {
		c.temps = append(c.temps, &data.Image{})
	}
	c.depth++
	return c.temps[c.depth-1]
}

func (c *Context) popTemp() { c.depth-- }
