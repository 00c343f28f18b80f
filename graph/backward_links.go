package graph

import (
	"slices"

	"gorgonia.org/gorgonia"

	"github.com/descent-ml/descent/kernels"
)

// Backward links: the compiler hands some steps' work to the step that
// computes a convolution's input gradient (convGradDataKernel, or a sum of
// gradients that includes one: sumConvDataKernel, reluGradSumConvKernel),
// which runs it image by image in the same pass (kernels.Conv2DBackward):
//   - the convolution's backward filter step (linkFilter), which reads the
//     same output gradients;
//   - the sums steps of the training batch norms that read the input
//     gradient it writes (linkImageSums), which take each image's sums
//     while it is in cache and are left only the additions;
//   - the input gradient step of the training batch norm (with its fused
//     2×2 max pooling or not) whose input the convolution read, when only
//     the convolution's backward steps read it (linkBatchNormData): each
//     image of that gradient is computed as the convolution needs it, in a
//     lane's scratch, never in memory; a backward filter step with no data
//     step (the first convolution's) takes that link itself.
// Linked steps stay in the program, with their own kernels for the device
// backend, which runs every step as before.

// linkBackward turns the links on; tests turn them off to compare.
var linkBackward = true

// backwardLinks are the steps linked to a backward data step.
type backwardLinks struct {
	dw   *Buffer      // the backward filter step's gradient, or nil
	sums []*imageSums // batch norms' sums steps reading the step's output
	dy   *bnData      // the batch norm's input gradient step computing dy, or nil
}

// bnData is a training batch norm's input gradient step linked to the
// backward data step that reads its output, as that step's output
// gradients.
type bnData struct {
	bn   bnKernel
	pool bool      // the batch norm's output goes through the fused 2×2 max pooling (bnPoolGradKernel)
	in   []*Buffer // the step's arguments: x, stats, sums, dy, [γ, and β with relu]
}

// imageSums is a training batch norm's sums step linked to the step that
// computes its output gradient dy: that step takes each image's sums into
// sums and sets ready.
type imageSums struct {
	bn    bnKernel
	in    []*Buffer // the sums step's arguments: x, stats, dy, [γ, β with relu]
	sums  []float64
	ready bool
}

// backwardConv passes to edit the convolution backward data kernel of k
// (k itself, or the one a sum of gradients includes) and returns k with
// it; ok is false when k is no backward data step. The last three
// arguments of these steps are the convolution's (x, w, dy).
func backwardConv(k kernel, edit func(c *convGradDataKernel)) (kernel, bool) {
	switch d := k.(type) {
	case convGradDataKernel:
		edit(&d)
		return d, true
	case sumConvDataKernel:
		edit(&d.conv)
		return d, true
	case reluGradSumConvKernel:
		edit(&d.conv)
		return d, true
	}
	return nil, false
}

// backwardDataArgs returns the convolution input x and output gradient dy
// of a backward data step k with arguments args; ok is false for other
// steps.
func backwardDataArgs(k kernel, args []*gorgonia.Node) (x, dy *gorgonia.Node, ok bool) {
	if _, ok := backwardConv(k, func(*convGradDataKernel) {}); !ok {
		return nil, nil, false
	}
	return args[len(args)-3], args[len(args)-1], true
}

// withLinks returns the backward data step data with its links, created
// where it has none, passed to edit; ok is false when data is no backward
// data step.
func withLinks(data kernel, edit func(l *backwardLinks)) (kernel, bool) {
	return backwardConv(data, func(c *convGradDataKernel) {
		if c.links == nil {
			c.links = &backwardLinks{}
		}
		edit(c.links)
	})
}

// linkFilter returns data and filter linked, data computing filter's
// gradient dw, when filter is the backward filter step of a convolution
// with data's options; ok is false otherwise. The compiler pairs them by
// their input and output gradient.
func linkFilter(data, filter kernel, dw *Buffer) (kernel, kernel, bool) {
	f, ok := filter.(convGradFilterKernel)
	if !ok {
		return nil, nil, false
	}
	var opt ConvOptions
	if _, ok := backwardConv(data, func(c *convGradDataKernel) { opt = c.opt }); !ok || opt != f.opt {
		return nil, nil, false
	}
	d, _ := withLinks(data, func(l *backwardLinks) { l.dw = dw })
	f.linked = true
	return d, f, true
}

// byImages reports whether the backward passes of the batch norm bn of
// input x run image by image: in training, over planes of more than one
// value (single values run down columns).
func byImages(bn bnKernel, x *Buffer) bool {
	return !bn.frozen && bn.rank == 4 && x.Shape[2]*x.Shape[3] > 1
}

// linkImageSums returns data and sums linked, data taking the image sums
// for the training batch norm sums step sums, with arguments in, that
// reads its output; ok is false where that is not such a step or its
// passes do not run by images.
func linkImageSums(data, sums kernel, in []*Buffer) (kernel, kernel, bool) {
	s, ok := sums.(bnSumsKernel)
	if !ok || !byImages(s.fwd, in[0]) {
		return nil, nil, false
	}
	link := &imageSums{bn: s.fwd, in: in}
	d, ok := withLinks(data, func(l *backwardLinks) { l.sums = append(l.sums, link) })
	if !ok {
		return nil, nil, false
	}
	s.images = link
	return d, s, true
}

// linkBatchNormData returns conv and grad linked, conv computing grad's
// output, its output gradients, image by image, when conv is a backward
// data step or a backward filter step not linked to one, and grad a
// training batch norm's input gradient step (with the fused pooling or
// not), with arguments in, whose passes run by images; ok is false
// otherwise. The compiler checks that no other step reads grad's output.
func linkBatchNormData(conv, grad kernel, in []*Buffer) (kernel, kernel, bool) {
	var link *bnData
	switch g := grad.(type) {
	case bnGradKernel:
		link = &bnData{bn: g.fwd, in: in}
		g.linked = true
		grad = g
	case bnPoolGradKernel:
		link = &bnData{bn: g.fwd.bn, pool: true, in: in}
		g.linked = true
		grad = g
	}
	if link == nil || !byImages(link.bn, in[0]) {
		return nil, nil, false
	}
	if f, ok := conv.(convGradFilterKernel); ok && !f.linked {
		f.dy = link
		return f, grad, true
	}
	d, ok := withLinks(conv, func(l *backwardLinks) { l.dy = link })
	if !ok {
		return nil, nil, false
	}
	return d, grad, true
}

// isFilterOf reports whether k, with arguments args, is a backward filter
// step of output gradient dy.
func isFilterOf(k kernel, args []*gorgonia.Node, dy *gorgonia.Node) bool {
	_, ok := k.(convGradFilterKernel)
	return ok && args[1] == dy // (x, dy)
}

// runLinked runs a backward data step's pass, run, with its links: the
// filter gradient to compute (nil without a link) and the hooks taking the
// linked batch norms' sums of each image of its output (shape) and
// computing each image of its output gradients; then marks those sums
// ready.
func runLinked[T kernels.Float](l *backwardLinks, shape []int, run func(dw []T, hooks kernels.ConvBackwardHooks[T])) {
	if l == nil {
		run(nil, kernels.ConvBackwardHooks[T]{})
		return
	}
	hooks := kernels.ConvBackwardHooks[T]{After: imageSumsAfter[T](l.sums, shape)}
	if l.dy != nil {
		var release func()
		hooks.OutputGradient, release = batchNormDataImages[T](l.dy)
		defer release()
	}
	run(view[T](l.dw), hooks)
	for _, s := range l.sums {
		s.ready = true
	}
}

// batchNormDataImages returns the function writing image i of the input
// gradient of the batch norm step g, as bnBackwardData computes it in
// training, and the one releasing its scratch.
func batchNormDataImages[T kernels.Float](g *bnData) (func(i int, dst []T), func()) {
	k, in := g.bn, g.in
	n, c, l := channels(in[0].Shape)
	x, stats, sums, dy := view[T](in[0]), view[T](in[1]), view[T](in[2]), view[T](in[3])
	inv := invStd(stats[c:], k.eps, make([]T, c))
	if g.pool {
		s := in[0].Shape
		p := bnPoolTransform[T](k, append([]*Buffer{in[0], in[1]}, in[4:]...))
		return kernels.BatchNormReluMaxPoolDataImages(s[0], c, s[2], s[3], x, p, dy, inv, sums[:c], sums[c:])
	}
	if k.relu {
		gamma, beta := gammaBeta[T](k, in, 4)
		return kernels.BatchNormReluDataImages(n, c, l, x, transform(k, stats, gamma, beta), dy, inv, sums[:c], sums[c:])
	}
	var gamma []T
	if k.affine {
		gamma = view[T](in[4])
	}
	return kernels.BatchNormDataImages(n, c, l, x, gamma, dy, stats[:c], inv, sums[:c], sums[c:])
}

// imageSumsAfter returns the function that takes the sums of the batch
// norms of links from image n of their output gradient (shape), or nil
// without links.
func imageSumsAfter[T kernels.Float](links []*imageSums, shape []int) func(int, []T) {
	if len(links) == 0 {
		return nil
	}
	n, c, l := channels(shape)
	takes := make([]func(i int, dy []T), len(links))
	for j, link := range links {
		size := kernels.BatchNormImageSumsLen(c, l, link.bn.relu)
		if len(link.sums) < n*size {
			link.sums = make([]float64, n*size)
		}
		x, stats, sums := view[T](link.in[0]), view[T](link.in[1]), link.sums
		if link.bn.relu {
			gamma, beta := gammaBeta[T](link.bn, link.in, 3)
			p := transform(link.bn, stats, gamma, beta)
			takes[j] = func(i int, dy []T) {
				kernels.BatchNormReluImageSums(c, l, x[i*c*l:(i+1)*c*l], p, dy, sums[i*size:(i+1)*size])
			}
		} else {
			takes[j] = func(i int, dy []T) {
				kernels.BatchNormImageSums(c, l, x[i*c*l:(i+1)*c*l], dy, stats[:c], sums[i*size:(i+1)*size])
			}
		}
	}
	return func(i int, dy []T) {
		for _, take := range takes {
			take(i, dy)
		}
	}
}

// linkBackwardSteps makes the links among steps (each computing node n
// from args; producer maps a node to its step): a convolution's backward
// filter step, and the sums steps of the batch norms that read its input
// gradient, are computed by its backward data step, in the same pass over
// the images; the filter step where the data step reads the same input
// and output gradient and the filter gradient is one parameter's
// (gradOf), which nothing reads before the optimizer. In training, a batch
// norm's input gradient read only by the backward steps of one convolution
// (its data step and the filter step linked to it, or its filter step
// alone) is computed by that step, image by image; lastUse then keeps the
// batch norm step's arguments until it.
func linkBackwardSteps(steps []pending, producer map[*gorgonia.Node]int, bufs map[*gorgonia.Node]*Buffer,
	gradOf map[*gorgonia.Node][]*Param, lastUse map[*gorgonia.Node]int, training bool) {
	type convArgs struct{ x, dy *gorgonia.Node }
	data := map[convArgs]int{} // the backward data step of each convolution, -1 where ambiguous
	for i, s := range steps {
		if x, dy, ok := backwardDataArgs(s.k, s.args); ok {
			if _, twice := data[convArgs{x, dy}]; twice { // convolutions of x summed: which is whose?
				data[convArgs{x, dy}] = -1
			} else {
				data[convArgs{x, dy}] = i
			}
		}
	}
	for i, s := range steps {
		switch s.k.(type) {
		case convGradFilterKernel: // (x, dy)
			if j, ok := data[convArgs{s.args[0], s.args[1]}]; ok && j >= 0 && len(gradOf[s.n]) == 1 {
				if d, f, ok := linkFilter(steps[j].k, s.k, bufs[s.n]); ok {
					steps[j].k, steps[i].k = d, f
				}
			}
		case bnSumsKernel: // (x, stats, dy, …)
			if j, ok := producer[s.args[2]]; ok {
				if d, sums, ok := linkImageSums(steps[j].k, s.k, buffersOf(bufs, s.args)); ok {
					steps[j].k, steps[i].k = d, sums
				}
			}
		}
	}
	if !training {
		return
	}
	readers := map[*gorgonia.Node][]int{}
	for i, s := range steps {
		for _, a := range s.args {
			readers[a] = append(readers[a], i)
		}
	}
	for i, s := range steps {
		switch s.k.(type) {
		case bnGradKernel, bnPoolGradKernel:
		default:
			continue
		}
		j := -1
		for _, r := range readers[s.n] {
			if x, dy, ok := backwardDataArgs(steps[r].k, steps[r].args); ok && dy == s.n && j < 0 {
				j = data[convArgs{x, dy}]
			}
		}
		if rs := readers[s.n]; j < 0 && len(rs) == 1 && isFilterOf(steps[rs[0]].k, steps[rs[0]].args, s.n) {
			j = rs[0] // a filter step alone (a convolution of the model's input)
		}
		linkedFilter := func(r int) bool {
			f, ok := steps[r].k.(convGradFilterKernel)
			return ok && f.linked && data[convArgs{steps[r].args[0], steps[r].args[1]}] == j
		}
		if j < 0 || slices.ContainsFunc(readers[s.n], func(r int) bool { return r != j && !linkedFilter(r) }) {
			continue
		}
		if d, g, ok := linkBatchNormData(steps[j].k, s.k, buffersOf(bufs, s.args)); ok {
			steps[j].k, steps[i].k = d, g
			for _, a := range s.args { // the linked step reads them now
				lastUse[a] = max(lastUse[a], j)
			}
		}
	}
}

// buffersOf is the buffers of nodes.
func buffersOf(bufs map[*gorgonia.Node]*Buffer, nodes []*gorgonia.Node) []*Buffer {
	in := make([]*Buffer, len(nodes))
	for i, n := range nodes {
		in[i] = bufs[n]
	}
	return in
}
