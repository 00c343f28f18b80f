package kernels

// Deep convolutions, many channels over small outputs (ResNet-18's last
// stages: 256 channels at 14×14, 512 at 7×7), run as GEMMs over chunks of
// many images: the column matrix of a chunk is built side by side, by all
// cores (channel pieces), and multiplied by one Gemm that splits its output
// over the cores. Per-lane GEMMs of a few hundred columns would re-read and
// re-write the whole filter gradient (megabytes) for every group of images,
// one partial gradient per lane; here the inner dimension of backward filter's
// GEMM is the chunk's pixels (about a thousand), the filters are packed once
// per chunk, and there is one gradient and no partial sums. The forward and
// backward data passes stay implicit GEMMs where they are one (faster forward
// at 256 channels of 14×14: 110 against 80 GFLOP/s).

const (
	// deepMaxColumns caps the columns (images × output pixels) of a chunk, so
	// that the workspace stays bounded for large batches.
	deepMaxColumns = 1024
	// deepMinFilter is the least filter size (K·C·R·S elements) that runs deep:
	// below it the per-lane GEMMs' filter traffic is small.
	deepMinFilter = 1 << 18
	// deepPieces is the most channel pieces im2col and col2im are cut into.
	deepPieces = 16
)

// deepConv reports whether s runs as whole-batch GEMMs: one group, outputs too
// small for one image to fill a GEMM, and large filters.
func deepConv(s ConvShape) bool {
	return s.groups() == 1 && s.OutH()*s.OutW() < convMinColumns && s.K*s.C*s.R*s.S >= deepMinFilter
}

// deepChunk is the number of images per chunk: the batch cut into the fewest
// chunks of at most deepMaxColumns columns, evenly.
func deepChunk(s ConvShape) int {
	p := s.OutH() * s.OutW()
	most := max(1, deepMaxColumns/p)
	return ceilDiv(s.N, ceilDiv(s.N, most))
}

// deepWorkspace is the scratch of a deep s: a chunk's column matrix and its
// K-row matrix, or the implicit passes' scratch if larger.
func deepWorkspace(s ConvShape) int {
	size := (s.C*s.R*s.S + s.K) * deepChunk(s) * s.OutH() * s.OutW()
	if implicitConv(s) {
		size = max(size, implicitWorkspace(s))
	}
	if implicitBackwardData(s) {
		size = max(size, implicitWorkspace(transposedConv(s)))
	}
	return size
}

// deepChunks calls fn for every chunk of images [n0, n0+gn) in order, with
// the chunk's column matrix and K-row matrix (gn·OutH·OutW columns) carved
// from work. The chunks, at most deepChunk(s) images, differ by at most one
// image (32 images in seven chunks of 4 or 5, rather than six of 5 and one
// of 2): a small last chunk makes a GEMM of few columns.
func deepChunks[T Float](s ConvShape, work []T, fn func(n0, gn int, col, kmat []T)) {
	crs := s.C * s.R * s.S
	chunks := ceilDiv(s.N, deepChunk(s))
	for i := range chunks {
		n0 := i * s.N / chunks
		gn := (i+1)*s.N/chunks - n0
		cols := gn * s.OutH() * s.OutW()
		fn(n0, gn, work[:crs*cols], work[crs*cols:(crs+s.K)*cols])
	}
}

// deepPieceShape is s with its channels cut into pieces (as groups, which
// im2col and col2im take one at a time): the most, up to deepPieces, that
// divide C.
func deepPieceShape(s ConvShape) ConvShape {
	pieces := deepPieces
	for s.C%pieces != 0 {
		pieces /= 2
	}
	s.Groups = pieces
	return s
}

// deepIm2col writes the column matrix of images [n0, n0+gn) into col, its
// channel pieces in parallel.
func deepIm2col[T Float](s ConvShape, x []T, n0, gn int, col []T) {
	ps := deepPieceShape(s)
	rows := ps.GroupChannels() * s.R * s.S * gn * s.OutH() * s.OutW()
	if deepRowIm2col[T](s) {
		x32, col32 := asFloat32(x), asFloat32(col)
		ParallelFor(ps.Groups, 1, func(piece, _, _ int) {
			deepIm2colRows(s, x32, n0, gn, piece*ps.GroupChannels(), (piece+1)*ps.GroupChannels(), col32)
		})
		return
	}
	ParallelFor(ps.Groups, 1, func(piece, _, _ int) {
		im2col(ps, x, n0, gn, piece, col[piece*rows:(piece+1)*rows])
	})
}

// deepRowIm2col reports whether deepIm2col runs deepIm2colRows: float32, the
// assembly, no dilation, and the inputs of an output row within one vector.
// im2col's row copies of a few elements each (7 at 7×7) cost more than the
// GEMM's packing of the whole column matrix; here an output row is one masked
// load, permute and store.
func deepRowIm2col[T Float](s ConvShape) bool {
	return shiftFloat32[T]() && deepAsm() && s.DilationH == 1 && s.DilationW == 1 &&
		(s.OutW()-1)*s.StrideW < 16
}

// deepIm2colRows writes rows of channels [c0, c1) of im2col's column matrix of
// images [n0, n0+gn) of x, tap by tap, each for all images at once.
func deepIm2colRows(s ConvShape, x []float32, n0, gn, c0, c1 int, col []float32) {
	oh, ow, hw := s.OutH(), s.OutW(), s.H*s.W
	cols := gn * oh * ow
	var perm [16]int32
	for j := range ow {
		perm[j] = int32(j * s.StrideW)
	}
	for r := 0; r < s.R; r++ {
		offH := r - s.PadH
		hLo, hHi := validRange(offH, s.StrideH, s.H, oh)
		for sx := 0; sx < s.S; sx++ {
			offW := sx - s.PadW
			// Lane i of a row's vector is input column offW + i.
			loadMask := 0
			for i := 0; i <= (ow-1)*s.StrideW; i++ {
				if offW+i >= 0 && offW+i < s.W {
					loadMask |= 1 << i
				}
			}
			for c := c0; c < c1; c++ {
				q := (c*s.R+r)*s.S + sx
				deepIm2colRowsAVX512(&col[q*cols], oh*ow, ow, &x[(n0*s.C+c)*hw], offH*s.W+offW, s.C*hw,
					s.StrideH*s.W, gn, oh, hLo, hHi, loadMask, 1<<ow-1, &perm[0])
			}
		}
	}
}

// deepCol2im overwrites images [n0, n0+gn) of dx from the column matrix col,
// its channel pieces in parallel.
func deepCol2im[T Float](s ConvShape, col []T, n0, gn int, dx []T) {
	ps := deepPieceShape(s)
	rows := ps.GroupChannels() * s.R * s.S * gn * s.OutH() * s.OutW()
	if deepRowCol2im[T](s) {
		col32, dx32 := asFloat32(col), asFloat32(dx)
		p, hw := s.OutH()*s.OutW(), s.H*s.W
		ParallelFor(ps.Groups, 1, func(piece, _, _ int) {
			var plan deepCol2imPlan // on the task's stack: no allocation
			plan.set(s, gn)
			for c := piece * ps.GroupChannels(); c < (piece+1)*ps.GroupChannels(); c++ {
				for g := range gn {
					deepCol2imPlaneAVX512(&dx32[((n0+g)*s.C+c)*hw], s.H, s.W, &col32[c*s.R*s.S*gn*p+g*p],
						s.OutW(), &plan.rowTaps[0], &plan.taps[0])
				}
			}
		})
		return
	}
	ParallelFor(ps.Groups, 1, func(piece, _, _ int) {
		col2im(ps, col[piece*rows:(piece+1)*rows], n0, gn, piece, dx)
	})
}

// deepRowCol2im reports whether deepCol2im runs deepCol2imPlaneAVX512:
// float32, the assembly, no dilation, input and output rows of at most 16
// elements, at most 16 input rows and 9 taps. Each input row is then a sum in
// a register of a masked load and permute per tap, in col2im's tap order,
// whose adds of a few elements per row cost more.
func deepRowCol2im[T Float](s ConvShape) bool {
	return shiftFloat32[T]() && deepAsm() && s.DilationH == 1 && s.DilationW == 1 &&
		s.W <= 16 && s.OutW() <= 16 && s.H <= 16 && s.R*s.S <= deepMaxTaps
}

// deepMaxTaps is the most filter taps (3×3) deepRowCol2im takes.
const deepMaxTaps = 9

// deepTapRow is one output row of deepCol2imPlaneAVX512 that an input row
// takes: its column-matrix offset (relative to the plane's channel and image)
// and which output column (perm) each input column (mask) takes.
type deepTapRow struct {
	col, mask int
	perm      [16]int32
}

// deepCol2imPlan lists, for a chunk of gn images, the tap rows that each input
// row of a plane sums, in col2im's tap order.
type deepCol2imPlan struct {
	rowTaps [16]int
	taps    [16 * deepMaxTaps]deepTapRow
}

func (plan *deepCol2imPlan) set(s ConvShape, gn int) {
	oh, ow := s.OutH(), s.OutW()
	n := 0
	for ih := 0; ih < s.H; ih++ {
		plan.rowTaps[ih] = 0
		for r := 0; r < s.R; r++ {
			dh := ih + s.PadH - r
			if dh < 0 || dh%s.StrideH != 0 || dh/s.StrideH >= oh {
				continue
			}
			for sx := 0; sx < s.S; sx++ {
				t := deepTapRow{col: (r*s.S+sx)*gn*oh*ow + dh/s.StrideH*ow}
				for iw := 0; iw < s.W; iw++ {
					if dw := iw + s.PadW - sx; dw >= 0 && dw%s.StrideW == 0 && dw/s.StrideW < ow {
						t.mask |= 1 << iw
						t.perm[iw] = int32(dw / s.StrideW)
					}
				}
				if t.mask != 0 {
					plan.taps[n] = t
					n++
					plan.rowTaps[ih]++
				}
			}
		}
	}
}

// deepRows copies between the K×(gn·p) matrix m and images [n0, n0+gn) of the
// N×K×p tensor t, image by image in parallel: into m when toGroup, else into t.
func deepRows[T Float](s ConvShape, n0, gn int, m, t []T, toGroup bool) {
	p := s.OutH() * s.OutW()
	ParallelFor(gn, 1, func(g, _, _ int) {
		img := t[(n0+g)*s.K*p : (n0+g+1)*s.K*p]
		if toGroup {
			copyRows(m[g*p:], gn*p, img, p, s.K, p)
		} else {
			copyRows(img, p, m[g*p:], gn*p, s.K, p)
		}
	})
}

// deepForward computes y = x ⋆ w (+ bias) for a deep s.
func deepForward[T Float](s ConvShape, x, w, bias, y, work []T) {
	crs := s.C * s.R * s.S
	deepChunks(s, work, func(n0, gn int, col, out []T) {
		cols := gn * s.OutH() * s.OutW()
		beta := T(0)
		if bias != nil {
			for k, b := range bias[:s.K] {
				fill(out[k*cols:(k+1)*cols], b)
			}
			beta = 1
		}
		deepIm2col(s, x, n0, gn, col)
		Gemm(false, false, s.K, cols, crs, 1, w, crs, col, cols, beta, out, cols)
		deepRows(s, n0, gn, out, y, false)
	})
}

// deepBackwardData computes dx from dy and w for a deep s: per chunk, the
// column-matrix gradient wᵀ·dy, then col2im.
func deepBackwardData[T Float](s ConvShape, w, dy, dx, work []T) {
	crs := s.C * s.R * s.S
	deepChunks(s, work, func(n0, gn int, dcol, dyg []T) {
		cols := gn * s.OutH() * s.OutW()
		deepRows(s, n0, gn, dyg, dy, true)
		Gemm(true, false, crs, cols, s.K, 1, w, crs, dyg, cols, 0, dcol, cols)
		deepCol2im(s, dcol, n0, gn, dx)
	})
}

// deepBackwardFilter computes dw from x and dy for a deep s: dw = Σ over the
// chunks, in order, of dy·colᵀ.
func deepBackwardFilter[T Float](s ConvShape, x, dy, dw, work []T) {
	crs := s.C * s.R * s.S
	deepChunks(s, work, func(n0, gn int, col, dyg []T) {
		cols := gn * s.OutH() * s.OutW()
		beta := T(1)
		if n0 == 0 {
			beta = 0
		}
		deepRows(s, n0, gn, dyg, dy, true)
		deepIm2col(s, x, n0, gn, col)
		Gemm(false, true, s.K, crs, cols, 1, dyg, cols, col, cols, beta, dw, crs)
	})
}
