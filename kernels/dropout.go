package kernels

import (
	"math"
)

// Dropout draws its mask from Philox4x32-10 (Salmon, Moraes, Dror and Shaw,
// "Parallel random numbers: as easy as 1, 2, 3", SC 2011), a counter-based
// generator: the draw for element i is a pure function of (seed, i), so any
// partition of the elements, on any number of CPU threads or GPU threads, yields
// the same mask.

// Philox4x32 round and key-schedule constants, from the paper.
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9 // golden ratio
	philoxW1 = 0xBB67AE85 // √3 − 1
)

// philoxKeys is the key of each of Philox4x32-10's ten rounds: the seed's key,
// bumped by the Weyl constants between rounds. A kernel computes it once.
type philoxKeys [10][2]uint32

func newPhiloxKeys(key [2]uint32) *philoxKeys {
	var ks philoxKeys
	for round := range ks {
		ks[round] = key
		key[0] += philoxW0
		key[1] += philoxW1
	}
	return &ks
}

// philox4x32 returns the ten-round Philox4x32 block for counter ctr and the
// round keys ks. Each round multiplies words 0 and 2 by the round constants and
// mixes the high halves with the other words and the round key.
func philox4x32(ctr [4]uint32, ks *philoxKeys) [4]uint32 {
	c0, c1, c2, c3 := ctr[0], ctr[1], ctr[2], ctr[3]
	for _, k := range ks {
		p0 := uint64(philoxM0) * uint64(c0)
		p1 := uint64(philoxM1) * uint64(c2)
		c0, c1, c2, c3 = uint32(p1>>32)^c1^k[0], uint32(p1), uint32(p0>>32)^c3^k[1], uint32(p0)
	}
	return [4]uint32{c0, c1, c2, c3}
}

// dropoutBlock returns the four 32-bit draws for elements 4·block … 4·block+3:
// Philox4x32-10 with key (low, high 32 bits of seed), as ks holds it, and
// counter (low, high 32 bits of block, 0, 0).
func dropoutBlock(ks *philoxKeys, block int) [4]uint32 {
	b := uint64(block)
	return philox4x32([4]uint32{uint32(b), uint32(b >> 32), 0, 0}, ks)
}

// seedKeys is the round keys for a dropout seed.
func seedKeys(seed uint64) *philoxKeys {
	return newPhiloxKeys([2]uint32{uint32(seed), uint32(seed >> 32)})
}

// DropoutUniform is element i's uniform draw in [0, 1) for seed: word i mod 4 of
// dropoutBlock(seed, i/4), times 2⁻³². Element i is kept iff
// DropoutUniform(seed, i) >= p.
func DropoutUniform(seed uint64, i int) float64 {
	return float64(dropoutBlock(seedKeys(seed), i/4)[i%4]) * 0x1p-32
}

// DropoutForward is inverted dropout: y = x·(1/(1−p)), the scale computed in T,
// where element i is kept (see DropoutUniform), else y = x·0. p = 1 drops
// everything; p = 0 keeps everything unscaled.
func DropoutForward[T Float](seed uint64, p T, x, y []T) {
	dropoutApply(seed, p, x, y)
}

// DropoutBackward sets dx = dy·(1/(1−p)) where the forward pass with the same seed
// and p kept the element, else 0.
func DropoutBackward[T Float](seed uint64, p T, dy, dx []T) {
	dropoutApply(seed, p, dy, dx)
}

// dropoutGrain is the elements of a dropout task: fewer than elementGrain's,
// as drawing costs more than the memory traffic (a block of four about 25 ns),
// so that LeNet's 64×128 activations keep both cores busy.
const dropoutGrain = 1 << 11

// dropoutApply sets out = in·scale on kept elements and 0 on dropped ones. A
// draw w (a 32-bit word) is kept iff w·2⁻³² >= p, that is w >= ⌈p·2³²⌉, computed
// exactly in float64. Chunks are whole blocks of four (dropoutGrain is a multiple
// of 4), so every block is drawn once.
func dropoutApply[T Float](seed uint64, p T, in, out []T) {
	threshold := uint64(math.Ceil(float64(p) * 0x1p32))
	factor := [2]T{0, 1 / (1 - p)} // dropped, kept
	ks := seedKeys(seed)
	ParallelFor(len(in), dropoutGrain, func(_, lo, hi int) {
		for base := lo; base < hi; base += 4 {
			draws := dropoutBlock(ks, base/4)
			xs := in[base:min(base+4, hi)]
			ys := out[base : base+len(xs)]
			for j, v := range xs {
				// kept is 1 when draw ≥ threshold: threshold − 1 − draw then
				// wraps below zero. No branch: the outcome is a coin flip.
				kept := (threshold - 1 - uint64(draws[j])) >> 63
				ys[j] = v * factor[kept]
			}
		}
	})
}
