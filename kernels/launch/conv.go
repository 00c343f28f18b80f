package launch

import (
	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
)

// The convolutions follow kernels/conv.go step by step, over groups of images
// whose column matrix (C·R·S rows, one column per output pixel of every image
// of the group) meets the K×C·R·S filters in one cuBLAS GEMM. The group size is
// the caller's: ConvGroup picks one for a scratch budget.

// ConvGroupBudget is the scratch, in elements, that ConvGroup aims at on a GPU
// (64 MiB): big enough that a group's GEMM fills the device.
const ConvGroupBudget = 1 << 24

// ConvGroup is the number of images per GEMM whose scratch fits budget elements.
func ConvGroup(s kernels.ConvShape, budget int) int {
	perImage := (s.GroupChannels()*s.R*s.S + s.K) * s.OutH() * s.OutW()
	return max(1, min(s.N, budget/perImage))
}

// Conv2DWorkspace is the scratch, in elements, of the convolutions of s with
// groups of group images.
func Conv2DWorkspace(s kernels.ConvShape, group int) int {
	if s.Depthwise() {
		return 0
	}
	return (s.GroupChannels()*s.R*s.S + s.K) * group * s.OutH() * s.OutW()
}

func convArgs(s kernels.ConvShape) []cuda.Arg {
	return []cuda.Arg{i(s.C), i(s.H), i(s.W), i(s.R), i(s.S), i(s.StrideH), i(s.StrideW),
		i(s.PadH), i(s.PadW), i(s.DilationH), i(s.DilationW), i(s.OutH()), i(s.OutW()), i(groups(s))}
}

// groups is the number of channel groups of s, at least 1.
func groups(s kernels.ConvShape) int { return max(1, s.Groups) }

// Im2col writes the column matrix of channel group cg of images [n0, n0+gn)
// of x into col.
func Im2col(s kernels.ConvShape, x cuda.Ptr, n0, gn, cg int, col cuda.Ptr) cuda.Launch {
	n := s.GroupChannels() * s.R * s.S * gn * s.OutH() * s.OutW()
	return elementwise("Im2col", n, append(convArgs(s), p(x), i(n0), i(gn), i(cg), p(col))...)
}

// Col2im overwrites channel group cg of images [n0, n0+gn) of dx from the
// column gradients col.
func Col2im(s kernels.ConvShape, col cuda.Ptr, n0, gn, cg int, dx cuda.Ptr) cuda.Launch {
	return elementwise("Col2im", gn*s.GroupChannels()*s.H*s.W, append(convArgs(s), p(col), i(n0), i(gn), i(cg), p(dx))...)
}

// ImageRows copies between a rows×(gn·p) group matrix m and gn images t.
func ImageRows(rows, pixels, gn int, m, t cuda.Ptr, toGroup bool) cuda.Launch {
	dir := 0
	if toGroup {
		dir = 1
	}
	return elementwise("ImageRows", gn*rows*pixels, i(rows), i(pixels), i(gn), p(m), p(t), i(dir))
}

// FillRows sets row k of the rows×cols matrix out to b[k].
func FillRows(rows, cols int, b, out cuda.Ptr) cuda.Launch {
	return elementwise("FillRows", rows*cols, i(rows), i(cols), p(b), p(out))
}

func BiasAddNCL(n, c, l int, b, y cuda.Ptr) cuda.Launch {
	return elementwise("BiasAddNCL", n*c*l, i(n), i(c), i(l), p(b), p(y))
}
func BiasBackwardNCL(n, c, l int, dy, db cuda.Ptr) cuda.Launch {
	return perChannel("BiasBackwardNCL", c, i(n), i(c), i(l), p(dy), p(db))
}

// run queues the launches, stopping at the first error.
func run(q Queue, ls ...cuda.Launch) error {
	for _, l := range ls {
		if err := q.Launch(l); err != nil {
			return err
		}
	}
	return nil
}

// Conv2DForward is kernels.Conv2DForward: y = x ⋆ w + bias (bias NULL: none),
// with Conv2DWorkspace(s, group) elements of scratch at work.
func Conv2DForward(q Queue, s kernels.ConvShape, group int, x, w, bias, y, work cuda.Ptr) error {
	if s.Depthwise() {
		return q.Launch(DepthwiseConv2DForward(s, x, w, bias, y))
	}
	crs, pix, kg := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), s.K/groups(s)
	for n0 := 0; n0 < s.N; n0 += group {
		gn := min(group, s.N-n0)
		cols := gn * pix
		col, out := work, work.F32(crs*cols)
		image := y.F32(n0 * s.K * pix)
		if gn == 1 {
			out = image // one image: the GEMM writes y directly
		}
		beta := float32(0)
		if bias != 0 {
			if err := run(q, FillRows(s.K, cols, bias, out)); err != nil {
				return err
			}
			beta = 1
		}
		for cg := 0; cg < groups(s); cg++ {
			if err := run(q, Im2col(s, x, n0, gn, cg, col)); err != nil {
				return err
			}
			if err := Gemm(q, false, false, kg, cols, crs, 1, w.F32(cg*kg*crs), crs, col, cols, beta, out.F32(cg*kg*cols), cols); err != nil {
				return err
			}
		}
		if gn > 1 {
			if err := run(q, ImageRows(s.K, pix, gn, out, image, false)); err != nil {
				return err
			}
		}
	}
	return nil
}

// groupRows returns images [n0, n0+gn) of the N×rows×pix tensor t as one
// rows×(gn·pix) matrix: t itself for one image, else a copy queued into buf.
func groupRows(q Queue, rows, pix, n0, gn int, t, buf cuda.Ptr) (cuda.Ptr, error) {
	t = t.F32(n0 * rows * pix)
	if gn == 1 {
		return t, nil
	}
	return buf, run(q, ImageRows(rows, pix, gn, buf, t, true))
}

// Conv2DBackwardData is kernels.Conv2DBackwardData: dx from dy and w.
func Conv2DBackwardData(q Queue, s kernels.ConvShape, group int, w, dy, dx, work cuda.Ptr) error {
	if s.Depthwise() {
		return q.Launch(DepthwiseConv2DBackwardData(s, w, dy, dx))
	}
	crs, pix, kg := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), s.K/groups(s)
	for n0 := 0; n0 < s.N; n0 += group {
		gn := min(group, s.N-n0)
		cols := gn * pix
		dcol := work
		dyg, err := groupRows(q, s.K, pix, n0, gn, dy, work.F32(crs*cols))
		if err != nil {
			return err
		}
		for cg := 0; cg < groups(s); cg++ {
			if err := Gemm(q, true, false, crs, cols, kg, 1, w.F32(cg*kg*crs), crs, dyg.F32(cg*kg*cols), cols, 0, dcol, cols); err != nil {
				return err
			}
			if err := run(q, Col2im(s, dcol, n0, gn, cg, dx)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Conv2DBackwardFilter is kernels.Conv2DBackwardFilter: dw from x and dy, the
// groups adding into dw one after another.
func Conv2DBackwardFilter(q Queue, s kernels.ConvShape, group int, x, dy, dw, work cuda.Ptr) error {
	if s.Depthwise() {
		return q.Launch(DepthwiseConv2DBackwardFilter(s, x, dy, dw))
	}
	crs, pix, kg := s.GroupChannels()*s.R*s.S, s.OutH()*s.OutW(), s.K/groups(s)
	for n0 := 0; n0 < s.N; n0 += group {
		gn := min(group, s.N-n0)
		cols := gn * pix
		col := work
		dyg, err := groupRows(q, s.K, pix, n0, gn, dy, work.F32(crs*cols))
		if err != nil {
			return err
		}
		beta := float32(1)
		if n0 == 0 {
			beta = 0
		}
		for cg := 0; cg < groups(s); cg++ {
			if err := run(q, Im2col(s, x, n0, gn, cg, col)); err != nil {
				return err
			}
			if err := Gemm(q, false, true, kg, crs, cols, 1, dyg.F32(cg*kg*cols), cols, col, cols, beta, dw.F32(cg*kg*crs), crs); err != nil {
				return err
			}
		}
	}
	return nil
}
