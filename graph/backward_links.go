package graph

import (
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
//   - the input gradient step of the training batch norm whose input the
//     convolution read, when only the convolution's backward steps read
//     it (linkBatchNormData): each image of that gradient is computed as
//     the convolution needs it, in a lane's scratch, never in memory; a
//     backward filter step with no data step (the first convolution's)
//     takes that link itself.
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
	bn bnKernel
	in []*Buffer // the step's arguments: x, stats, sums, dy, [γ, and β with relu]
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

// backwardDataArgs returns the convolution input x and output gradient dy
// of a step computing a convolution's input gradient, k with arguments
// args; ok is false for other steps.
func backwardDataArgs(k kernel, args []*gorgonia.Node) (x, dy *gorgonia.Node, ok bool) {
	switch k.(type) {
	case convGradDataKernel: // (x, w, dy)
		return args[0], args[2], true
	case sumConvDataKernel: // (a, x, w, dy)
		return args[1], args[3], true
	case reluGradSumConvKernel: // (y, a, x, w, dy)
		return args[2], args[4], true
	}
	return nil, nil, false
}

// withLinks returns the backward data step's kernel data with its links,
// created where it has none, passed to edit; ok is false when data is no
// backward data step.
func withLinks(data kernel, edit func(l *backwardLinks)) (k kernel, ok bool) {
	links := func(l **backwardLinks) {
		if *l == nil {
			*l = &backwardLinks{}
		}
		edit(*l)
	}
	switch d := data.(type) {
	case convGradDataKernel:
		links(&d.links)
		return d, true
	case sumConvDataKernel:
		links(&d.conv.links)
		return d, true
	case reluGradSumConvKernel:
		links(&d.conv.links)
		return d, true
	}
	return nil, false
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
	switch d := data.(type) {
	case convGradDataKernel:
		opt = d.opt
	case sumConvDataKernel:
		opt = d.conv.opt
	case reluGradSumConvKernel:
		opt = d.conv.opt
	}
	if opt != f.opt {
		return nil, nil, false
	}
	d, ok := withLinks(data, func(l *backwardLinks) { l.dw = dw })
	if !ok {
		return nil, nil, false
	}
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
// training batch norm's input gradient step, with arguments in, whose
// passes run by images; ok is false otherwise. The compiler checks that no
// other step reads grad's output.
func linkBatchNormData(conv, grad kernel, in []*Buffer) (kernel, kernel, bool) {
	g, ok := grad.(bnGradKernel)
	if !ok || !byImages(g.fwd, in[0]) {
		return nil, nil, false
	}
	link := &bnData{bn: g.fwd, in: in}
	if f, ok := conv.(convGradFilterKernel); ok && !f.linked {
		f.dy, g.linked = link, true
		return f, g, true
	}
	d, ok := withLinks(conv, func(l *backwardLinks) { l.dy = link })
	if !ok {
		return nil, nil, false
	}
	g.linked = true
	return d, g, true
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
