package graph

import (
	"fmt"
	"math"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// BatchNormOptions follow torch.nn.BatchNorm1d/2d.
type BatchNormOptions struct {
	Eps      float64 // added to the variance; PyTorch's default 1e-5
	Momentum float64 // running = (1−momentum)·running + momentum·batch; default 0.1
	// Frozen runs the normalization in evaluation mode in training too: the
	// running statistics normalize and stay fixed (fine-tuning a backbone).
	Frozen bool
	// ReLU applies a ReLU to the output, fused into the normalization: the
	// pre-activation and its gradient never go to memory.
	ReLU bool
}

// BatchNorm normalizes x (N×C or N×C×H×W) per channel. In training it uses the
// batch statistics and updates runMean and runVar (the unbiased batch variance);
// in evaluation it uses runMean and runVar. gamma and beta (length C) may both be
// nil for a normalization without affine transform.
//
// It adds two nodes: the statistics (2×C: mean, biased variance), which carry no
// gradient of their own, and the normalization, whose gradient with respect to x
// accounts for the statistics' dependence on x.
func BatchNorm(x, gamma, beta, runMean, runVar *gorgonia.Node, opt BatchNormOptions) (*gorgonia.Node, error) {
	stats, k, err := batchNormStats(x, gamma, beta, runMean, runVar, opt)
	if err != nil {
		return nil, err
	}
	if gamma == nil {
		return apply(k, x, stats)
	}
	return apply(k, x, stats, gamma, beta)
}

// batchNormStats checks a batch norm's arguments and adds its statistics
// node; k is the normalization the options describe.
func batchNormStats(x, gamma, beta, runMean, runVar *gorgonia.Node, opt BatchNormOptions) (stats *gorgonia.Node, k bnKernel, err error) {
	if (gamma == nil) != (beta == nil) {
		return nil, k, fmt.Errorf("batch norm: gamma and beta must both be given or both be nil")
	}
	rank := x.Dims()
	if rank != 2 && rank != 4 {
		return nil, k, fmt.Errorf("batch norm: input %v is neither N×C nor N×C×H×W", x.Shape())
	}
	stats, err = apply(bnStatsKernel{eps: opt.Eps, momentum: opt.Momentum, rank: rank, frozen: opt.Frozen}, x, runMean, runVar)
	k = bnKernel{eps: opt.Eps, affine: gamma != nil, rank: rank, frozen: opt.Frozen, relu: opt.ReLU}
	return stats, k, err
}

func channels(x []int) (n, c, l int) { return x[0], x[1], ShapeSize(x[2:]) }

// bnStatsKernel: (x, running mean, running var) → 2×C (mean, biased variance).
type bnStatsKernel struct {
	noGrad
	eps, momentum float64
	rank          int
	frozen        bool          // evaluation mode always
	rowStats      *rowStatsLink // x's row statistics, left by the convolution that computed x
}

func (k bnStatsKernel) String() string {
	return fmt.Sprintf("batch_norm_stats(eps=%g,momentum=%g,rank=%d,frozen=%t)", k.eps, k.momentum, k.rank, k.frozen)
}
func (k bnStatsKernel) dims() []int { return []int{k.rank, 1, 1, 2} }

func (k bnStatsKernel) inferShape(in [][]int) ([]int, error) {
	c := in[0][1]
	if len(in[1]) != 1 || in[1][0] != c || len(in[2]) != 1 || in[2][0] != c {
		return nil, fmt.Errorf("batch norm: running statistics %v, %v do not match %d channels of input %v", in[1], in[2], c, in[0])
	}
	return []int{2, c}, nil
}

func (k bnStatsKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if !ctx.training || k.frozen {
		c := in[0].Shape[1]
		for i := 0; i < c; i++ {
			out.Set(i, in[1].At(i))
			out.Set(c+i, in[2].At(i))
		}
		return nil
	}
	n, c, l := channels(in[0].Shape)
	if n*l < 2 {
		return fmt.Errorf("batch norm in training needs more than one value per channel, got input %v (a batch of one)", in[0].Shape)
	}
	var rows []float64
	if k.rowStats != nil {
		rows = k.rowStats.rows(n, c)
	}
	if out.F32 != nil {
		bnStatsTrain(n, c, l, float32(k.momentum), in[0].F32, rows, in[1].F32, in[2].F32, out.F32)
	} else {
		bnStatsTrain(n, c, l, k.momentum, in[0].F64, rows, in[1].F64, in[2].F64, out.F64)
	}
	return nil
}

// bnStatsTrain computes x's statistics, from its row statistics when rows is
// not nil, and updates the running ones.
func bnStatsTrain[T kernels.Float](n, c, l int, momentum T, x []T, rows []float64, runMean, runVar, stats []T) {
	mean, variance := stats[:c], stats[c:]
	if rows != nil {
		kernels.BatchNormStatsFromRows(n, c, l, rows, mean, variance)
	} else {
		kernels.BatchNormStats(n, c, l, x, mean, variance)
	}
	kernels.BatchNormUpdateRunning(n*l, momentum, mean, variance, runMean, runVar)
}

// rowStatsLink carries a convolution's output row statistics
// (kernels.Conv2DForwardRowStats) to the batch norm statistics step that
// reads the output: taken while each image's output is in cache, they spare
// that step its pass over the output.
type rowStatsLink struct{ buf []float64 }

// rows is the link's storage for an N×C output.
func (r *rowStatsLink) rows(n, c int) []float64 {
	if size := kernels.RowStatsLen(n, c); len(r.buf) < size {
		r.buf = make([]float64, size)
	}
	return r.buf[:kernels.RowStatsLen(n, c)]
}

// linkRowStats returns conv and stats linked when stats is a training batch
// norm's statistics step of 2-D inputs reading conv's output; ok is false
// when they cannot be linked.
func linkRowStats(conv, stats kernel) (kernel, kernel, bool) {
	c, isConv := conv.(convKernel)
	s, isStats := stats.(bnStatsKernel)
	if !isConv || !isStats || s.frozen || s.rank != 4 {
		return nil, nil, false
	}
	if c.rowStats == nil {
		c.rowStats = &rowStatsLink{}
	}
	s.rowStats = c.rowStats
	return c, s, true
}

// bnKernel: (x, stats, [γ, β]) → (x − mean)/√(var + eps)·γ + β, then with
// relu max(·, 0).
type bnKernel struct {
	eps    float64
	affine bool
	rank   int
	frozen bool // evaluation mode always
	relu   bool
}

func (k bnKernel) String() string {
	name := "batch_norm"
	if k.relu {
		name = "batch_norm_relu"
	}
	return fmt.Sprintf("%s(eps=%g,affine=%t,rank=%d,frozen=%t)", name, k.eps, k.affine, k.rank, k.frozen)
}

func (k bnKernel) dims() []int {
	if k.affine {
		return []int{k.rank, 2, 1, 1, k.rank}
	}
	return []int{k.rank, 2, k.rank}
}

func (k bnKernel) diffWRT() []bool {
	if k.affine {
		return []bool{true, false, true, true}
	}
	return []bool{true, false}
}

func (k bnKernel) inferShape(in [][]int) ([]int, error) {
	c := in[0][1]
	if k.affine && (len(in[2]) != 1 || in[2][0] != c || len(in[3]) != 1 || in[3][0] != c) {
		return nil, fmt.Errorf("batch norm: gamma %v, beta %v do not match %d channels of input %v", in[2], in[3], c, in[0])
	}
	return in[0], nil
}

func (k bnKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	var gamma, beta *Buffer
	if k.affine {
		gamma, beta = in[2], in[3]
	}
	if out.F32 != nil {
		bnForward(k, in[0].Shape, in[0].F32, transform(k, in[1].F32, view[float32](gamma), view[float32](beta)), out.F32)
	} else {
		bnForward(k, in[0].Shape, in[0].F64, transform(k, in[1].F64, view[float64](gamma), view[float64](beta)), out.F64)
	}
	return nil
}

// transform is the normalization as the forward pass computes it, from the
// statistics (2×C) and γ, β (nil without affine transform).
func transform[T kernels.Float](k bnKernel, stats, gamma, beta []T) kernels.BatchNormAffine[T] {
	c := len(stats) / 2
	return kernels.BatchNormAffine[T]{Gamma: gamma, Beta: beta, Mean: stats[:c], Variance: stats[c:], Eps: T(k.eps)}
}

func bnForward[T kernels.Float](k bnKernel, shape []int, x []T, p kernels.BatchNormAffine[T], y []T) {
	n, c, l := channels(shape)
	if k.relu {
		kernels.BatchNormReluForward(n, c, l, x, p, y)
		return
	}
	kernels.BatchNormForwardEval(n, c, l, x, p.Gamma, p.Beta, p.Mean, p.Variance, p.Eps, y)
}

func (k bnKernel) symDiff(in gorgonia.Nodes, out, grad *gorgonia.Node) (gorgonia.Nodes, error) {
	if k.relu && k.rank == 2 {
		// N×C: the column kernels are compute-bound, and ReLU's vectorized
		// pass over the output costs less than recomputing the mask.
		var err error
		if grad, err = reluGradFromOutput(out, grad); err != nil {
			return nil, err
		}
		k.relu = false
	}
	x, stats := in[0], in[1]
	sums, err := apply(bnSumsKernel{fwd: k}, append(gorgonia.Nodes{x, stats, grad}, k.maskArgs(in)...)...)
	if err != nil {
		return nil, err
	}
	args := gorgonia.Nodes{x, stats, sums, grad}
	switch {
	case k.relu:
		args = append(args, k.maskArgs(in)...)
	case k.affine:
		args = append(args, in[2])
	}
	dx, err := apply(bnGradKernel{fwd: k}, args...)
	if err != nil {
		return nil, err
	}
	return bnGradients(dx, sums, k.affine)
}

// bnGradients are a batch norm's gradients (x, stats, [γ, β]): dx, none for
// the statistics, and with the affine transform γ's and β's, the rows of its
// sums (Σ dy·x̂, Σ dy).
func bnGradients(dx, sums *gorgonia.Node, affine bool) (gorgonia.Nodes, error) {
	if !affine {
		return gorgonia.Nodes{dx, nil}, nil
	}
	dgamma, err := apply(rowKernel{row: 0}, sums)
	if err != nil {
		return nil, err
	}
	dbeta, err := apply(rowKernel{row: 1}, sums)
	return gorgonia.Nodes{dx, nil, dgamma, dbeta}, err
}

// invStd turns the statistics' variances into 1/√(var + eps), in scratch.
func invStd[T kernels.Float](variance []T, eps float64, scratch []T) []T {
	out := scratch[:len(variance)]
	for i, v := range variance {
		out[i] = T(1 / math.Sqrt(float64(v)+eps))
	}
	return out
}

// bnSumsKernel: (x, stats, dy, [γ, β with relu]) → 2×C holding Σ dy·x̂ (γ's
// gradient) and Σ dy (β's gradient), which the gradient of x needs too: one
// pass for all three. After a fused ReLU, dy is masked first (γ and β
// recompute the mask). Linked to the step that computes dy
// (linkImageSums), it adds up the sums that step took image by image.
type bnSumsKernel struct {
	noGrad
	fwd    bnKernel
	images *imageSums
}

func (k bnSumsKernel) String() string { return "grad_sums_" + k.fwd.String() }
func (k bnSumsKernel) dims() []int {
	r := k.fwd.rank
	return append(append([]int{r, 2, r}, k.fwd.maskDims()...), 2)
}
func (k bnSumsKernel) inferShape(in [][]int) ([]int, error) { return in[1], nil }
func (k bnSumsKernel) workspace(in [][]int) int             { return in[0][1] }

func (k bnSumsKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if out.F32 != nil {
		bnSums(k.fwd, k.images, in, in[0].F32, in[1].F32, in[2].F32, ctx.work.F32, out.F32)
	} else {
		bnSums(k.fwd, k.images, in, in[0].F64, in[1].F64, in[2].F64, ctx.work.F64, out.F64)
	}
	return nil
}

func bnSums[T kernels.Float](k bnKernel, images *imageSums, in []*Buffer, x, stats, dy, work, out []T) {
	n, c, l := channels(in[0].Shape)
	s := invStd(stats[c:], k.eps, work)
	if images != nil && images.ready {
		kernels.BatchNormSumsFromImages(n, c, l, k.relu, images.sums, s, out[:c], out[c:])
		images.ready = false
		return
	}
	if k.relu {
		gamma, beta := gammaBeta[T](k, in, 3)
		kernels.BatchNormReluBackward(n, c, l, x, transform(k, stats, gamma, beta), dy, s, nil, out[:c], out[c:])
		return
	}
	kernels.BatchNormBackward(n, c, l, x, nil, dy, stats[:c], s, nil, out[:c], out[c:])
}

// rowKernel takes one row of a 2×C tensor.
type rowKernel struct {
	noGrad
	row int
}

func (k rowKernel) String() string                       { return fmt.Sprintf("row(%d)", k.row) }
func (k rowKernel) dims() []int                          { return []int{2, 1} }
func (k rowKernel) inferShape(in [][]int) ([]int, error) { return in[0][1:], nil }
func (k rowKernel) exec(_ *execContext, in []*Buffer, out *Buffer) error {
	c := in[0].Shape[1]
	out.CopyFrom(&Buffer{F32: sliceOrNil(in[0].F32, k.row*c, c), F64: sliceOrNil(in[0].F64, k.row*c, c)})
	return nil
}

func sliceOrNil[T kernels.Float](s []T, off, n int) []T {
	if s == nil {
		return nil
	}
	return s[off : off+n]
}

// bnGradKernel computes dx from (x, stats, sums, dy, [γ, and β with relu]).
// In training dx includes the path through the batch statistics; in
// evaluation the statistics are constants.
// Linked to the backward step of the convolution that reads its output
// (linkBatchNormData), it leaves its output to that step.
type bnGradKernel struct {
	noGrad
	fwd    bnKernel
	linked bool
}

func (k bnGradKernel) String() string { return "grad_x_" + k.fwd.String() }

func (k bnGradKernel) dims() []int {
	r := k.fwd.rank
	dims := []int{r, 2, 2, r}
	switch {
	case k.fwd.relu:
		dims = append(dims, k.fwd.maskDims()...)
	case k.fwd.affine:
		dims = append(dims, 1)
	}
	return append(dims, r)
}

func (k bnGradKernel) inferShape(in [][]int) ([]int, error) { return in[0], nil }
func (k bnGradKernel) workspace(in [][]int) int             { return in[0][1] }

func (k bnGradKernel) exec(ctx *execContext, in []*Buffer, out *Buffer) error {
	if k.linked {
		return nil
	}
	training := ctx.training && !k.fwd.frozen
	if out.F32 != nil {
		bnBackwardData(k.fwd, training, in, in[0].F32, in[1].F32, in[2].F32, in[3].F32, ctx.work.F32, out.F32)
	} else {
		bnBackwardData(k.fwd, training, in, in[0].F64, in[1].F64, in[2].F64, in[3].F64, ctx.work.F64, out.F64)
	}
	return nil
}

func bnBackwardData[T kernels.Float](k bnKernel, training bool, in []*Buffer, x, stats, sums, dy, work, dx []T) {
	n, c, l := channels(in[0].Shape)
	if k.relu {
		gamma, beta := gammaBeta[T](k, in, 4)
		p := transform(k, stats, gamma, beta)
		if !training {
			kernels.BatchNormReluBackwardEval(n, c, l, x, p, dy, dx)
			return
		}
		kernels.BatchNormReluBackwardData(n, c, l, x, p, dy, invStd(stats[c:], k.eps, work), sums[:c], sums[c:], dx)
		return
	}
	var gamma []T
	if k.affine {
		gamma = view[T](in[4])
	}
	if !training {
		kernels.BatchNormBackwardEval(n, c, l, gamma, stats[c:], T(k.eps), dy, dx)
		return
	}
	kernels.BatchNormBackwardData(n, c, l, x, gamma, dy, stats[:c], invStd(stats[c:], k.eps, work), sums[:c], sums[c:], dx)
}
