package graph

import (
	"fmt"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// dropoutKernel is inverted dropout: in training each element is zeroed with
// probability p and the rest scaled by 1/(1−p); in evaluation it is the identity.
// The mask is a pure function of (seed, iteration, element), so the backward pass
// recomputes it instead of storing it, and any backend reproduces it.
type dropoutKernel struct {
	p    float64
	seed uint64
	rank int
}

// Dropout adds inverted dropout with drop probability p in [0, 1) and its own seed.
func Dropout(x *gorgonia.Node, p float64, seed uint64) (*gorgonia.Node, error) {
	if !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("dropout: p = %g is outside [0, 1)", p)
	}
	return apply(dropoutKernel{p: p, seed: seed, rank: x.Dims()}, x)
}

func (k dropoutKernel) String() string {
	return fmt.Sprintf("dropout(p=%g,seed=%d,rank=%d)", k.p, k.seed, k.rank)
}
func (k dropoutKernel) dims() []int                          { return []int{k.rank, k.rank} }
func (k dropoutKernel) diffWRT() []bool                      { return []bool{true} }
func (k dropoutKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

// stepSeed mixes the iteration into the seed (splitmix64 finalizer).
func (k dropoutKernel) stepSeed(iteration uint64) uint64 {
	z := k.seed + (iteration+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (k dropoutKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if !ctx.training || k.p == 0 {
		out.CopyFrom(in[0])
		return nil
	}
	seed := k.stepSeed(ctx.iteration)
	if out.F32 != nil {
		kernels.DropoutForward(seed, float32(k.p), in[0].F32, out.F32)
	} else {
		kernels.DropoutForward(seed, k.p, in[0].F64, out.F64)
	}
	return nil
}

func (k dropoutKernel) symDiff(_ gorgonia.Nodes, _, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	dx, err := apply(dropoutGradKernel{fwd: k}, grad)
	return gorgonia.Nodes{dx}, err
}

// dropoutGradKernel applies the forward pass's mask and scale to dy.
type dropoutGradKernel struct {
	noGrad
	fwd dropoutKernel
}

func (k dropoutGradKernel) String() string                       { return "grad_" + k.fwd.String() }
func (k dropoutGradKernel) dims() []int                          { return []int{k.fwd.rank, k.fwd.rank} }
func (k dropoutGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }

func (k dropoutGradKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if !ctx.training || k.fwd.p == 0 {
		out.CopyFrom(in[0])
		return nil
	}
	seed := k.fwd.stepSeed(ctx.iteration)
	if out.F32 != nil {
		kernels.DropoutBackward(seed, float32(k.fwd.p), in[0].F32, out.F32)
	} else {
		kernels.DropoutBackward(seed, k.fwd.p, in[0].F64, out.F64)
	}
	return nil
}
