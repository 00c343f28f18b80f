package kernels

// Winograd's F(4, 5) along rows: the forward pass of a 5-wide unit-stride
// convolution of 12-wide planes (LeNet's conv2: 8-wide outputs, two tiles
// of 4) with 2.5 times fewer multiply-adds than the direct pass (Lavin and
// Gray, "Fast Algorithms for Convolutional Neural Networks", 2016).
//
// Along a row, 4 outputs of a 5-tap correlation are Aᵀ[(G·g) ⊙ (Bᵀ·d)] for
// the 8 inputs d they read and the taps g: 8 products where the direct sum
// takes 20. Bᵀ, G and Aᵀ are Toom–Cook's at the points 0, ±1, ±2, ±1/2 and
// ∞ (the transposed algorithm of linear convolution: Aᵀ and G evaluate,
// Bᵀ = V⁻ᵀ for the 8-point Vandermonde V), Bᵀ's rows scaled to small
// integers and quarters and G's by the inverse factors. Each transform is
// one GEMM of the rows it maps by a fixed matrix:
//
//	V[n][c][h] (16: two tiles of 8 points) = x[n][c][h] (12) · winogradInputRows
//	U[k][c][r] (8 points)                   = w[k][c][r] (5) · Gᵀ, two rows at a time
//	y[n][k][i] (8)                          = M[n][k][i] (16) · winogradOutputRows, two rows at a time
//
// and the products M[n][k][i] = Σ_c Σ_r U[k][c][r] ⊙ V[n][c][i + r] (each
// filter tap's 8 points broadcast to both tiles) run in winogradTile32, 4
// filters by 4 output rows.
//
// The backward filter pass is F(5, 4) along rows: the 5 filter taps' sums
// over a tile of 4 output gradients read the same 8 inputs, with the same
// Bᵀ (it is V⁻ᵀ for the same points), so the inputs transform as in the
// forward pass; each output gradient row transforms to two tiles of 8
// points (winogradGradRows), the products summed over the images and output
// rows, acc[k][c][r] = Σ_n Σ_i DY[n][k][i] ⊙ V[n][c][i + r], run in
// winogradFilterTile32, and the two tiles' sums map back to 5 taps
// (winogradTapRows).
//
// The backward data pass is F(4, 5) along rows again, the full correlation
// of each output gradient row, zero-padded to 16, with the flipped filter
// row: three tiles of 4 input gradients. Filter row r of channel c adds to
// input gradient row j + r the correlation of output gradient row j, so the
// products of each r, Σ_k U'[k][c][r] ⊙ DY[n][k][j], summed over the
// filters in winogradTile32 (one "tap", the filters as its channels), are
// added into rows r… of the channel's transformed gradient, whose rows then
// map back to 12 values each. The first two tiles of a row take a vector
// (plane A), the third tiles of two rows another (plane B).
//
// The float32 results of the three passes differ from the direct ones by
// rounding, a few units in the 6th significant digit for LeNet's conv2
// (the tests bound them).

// winogradPoints is the number of points of a tile; winogradTile the outputs.
const (
	winogradPoints = 8
	winogradTile   = 4
	winogradTaps   = 5
)

// winogradBT, winogradG and winogradAT are F(4, 5)'s transforms: Bᵀ, G and Aᵀ.
var (
	winogradBT = [winogradPoints][winogradPoints]float64{
		{1, 0, -21.0 / 4, 0, 21.0 / 4, 0, -1, 0},
		{0, -1, -1, 17.0 / 4, 17.0 / 4, -1, -1, 0},
		{0, 1, -1, -17.0 / 4, 17.0 / 4, 1, -1, 0},
		{0, 1, 1.0 / 2, -5, -5.0 / 2, 4, 2, 0},
		{0, -1, 1.0 / 2, 5, -5.0 / 2, -4, 2, 0},
		{0, 4, 8, -5, -10, 1, 2, 0},
		{0, -4, 8, 5, -10, -1, 2, 0},
		{0, -1, 0, 21.0 / 4, 0, -21.0 / 4, 0, 1},
	}
	winogradG = [winogradPoints][winogradTaps]float64{
		{1, 0, 0, 0, 0},
		{2.0 / 9, 2.0 / 9, 2.0 / 9, 2.0 / 9, 2.0 / 9},
		{2.0 / 9, -2.0 / 9, 2.0 / 9, -2.0 / 9, 2.0 / 9},
		{1.0 / 180, 1.0 / 90, 1.0 / 45, 2.0 / 45, 4.0 / 45},
		{1.0 / 180, -1.0 / 90, 1.0 / 45, -2.0 / 45, 4.0 / 45},
		{16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45, 1.0 / 45},
		{16.0 / 45, -8.0 / 45, 4.0 / 45, -2.0 / 45, 1.0 / 45},
		{0, 0, 0, 0, 1},
	}
	winogradAT = [winogradTile][winogradPoints]float64{
		{1, 1, 1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 1.0 / 2, -1.0 / 2, 0},
		{0, 1, 1, 4, 4, 1.0 / 4, 1.0 / 4, 0},
		{0, 1, -1, 8, -8, 1.0 / 8, -1.0 / 8, 1},
	}
)

// winogradGradG and winogradTapAT are F(5, 4)'s G (scaled as winogradG's
// rows, so that it pairs with winogradBT) and Aᵀ.
var (
	winogradGradG = [winogradPoints][winogradTile]float64{
		{1, 0, 0, 0},
		{2.0 / 9, 2.0 / 9, 2.0 / 9, 2.0 / 9},
		{2.0 / 9, -2.0 / 9, 2.0 / 9, -2.0 / 9},
		{1.0 / 180, 1.0 / 90, 1.0 / 45, 2.0 / 45},
		{1.0 / 180, -1.0 / 90, 1.0 / 45, -2.0 / 45},
		{16.0 / 45, 8.0 / 45, 4.0 / 45, 2.0 / 45},
		{16.0 / 45, -8.0 / 45, 4.0 / 45, -2.0 / 45},
		{0, 0, 0, 1},
	}
	winogradTapAT = [winogradTaps][winogradPoints]float64{
		{1, 1, 1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 1.0 / 2, -1.0 / 2, 0},
		{0, 1, 1, 4, 4, 1.0 / 4, 1.0 / 4, 0},
		{0, 1, -1, 8, -8, 1.0 / 8, -1.0 / 8, 0},
		{0, 1, 1, 16, 16, 1.0 / 16, 1.0 / 16, 1},
	}
)

// The transforms as the GEMMs' right-hand matrices (see the package
// comment above): a 12-wide input row to two tiles of 8 points; two rows of
// 5 taps to two sets of 8 points; two rows of two tiles of 8 points to two
// 8-wide output rows.
var (
	winogradInputRows  = winogradMatrix(12, 16, 2, func(t, j, p int) (int, int, float64) { return 4*t + j, 8*t + p, winogradBT[p][j] })
	winogradFilterRows = winogradMatrix(10, 16, 2, func(t, j, p int) (int, int, float64) {
		if j >= winogradTaps {
			return 0, 0, 0
		}
		return 5*t + j, 8*t + p, winogradG[p][j]
	})
	winogradOutputRows = winogradMatrix(32, 16, 4, func(t, j, p int) (int, int, float64) {
		if j >= winogradTile {
			return 0, 0, 0
		}
		return 8*t + p, 4*t + j, winogradAT[j][p] // t: row pair · 2 + tile
	})
	// An 8-wide output gradient row to two tiles of 8 points; two tiles'
	// sums to a filter row's 5 taps.
	winogradGradRows = winogradMatrix(8, 16, 2, func(t, j, p int) (int, int, float64) {
		if j >= winogradTile {
			return 0, 0, 0
		}
		return 4*t + j, 8*t + p, winogradGradG[p][j]
	})
	winogradTapRows = winogradMatrix(16, winogradTaps, 2, func(t, j, p int) (int, int, float64) {
		if j >= winogradTaps {
			return 0, 0, 0
		}
		return 8*t + p, j, winogradTapAT[j][p]
	})
	// Two rows of 5 taps, flipped, to two sets of 8 points; an 8-wide output
	// gradient row, padded by 4 zeros each side, to its first two tiles of
	// 8 points (plane A); two such rows to their third tiles (plane B).
	winogradFlippedFilterRows = winogradMatrix(10, 16, 2, func(t, j, p int) (int, int, float64) {
		if j >= winogradTaps {
			return 0, 0, 0
		}
		return 5*t + j, 8*t + p, winogradG[p][winogradTaps-1-j]
	})
	winogradPaddedRowsA = winogradMatrix(8, 16, 2, func(t, j, p int) (int, int, float64) {
		if q := 4*t + j - 4; q < 0 || q >= 8 {
			return 0, 0, 0
		}
		return 4*t + j - 4, 8*t + p, winogradBT[p][j]
	})
	winogradPaddedRowsB = winogradMatrix(16, 16, 2, func(t, j, p int) (int, int, float64) {
		if j >= 4 {
			return 0, 0, 0
		}
		return 8*t + 4 + j, 8*t + p, winogradBT[p][j] // t: the row of the pair
	})
)

// winogradMatrix is the rows×cols matrix with element (i, j) = v for every
// (i, j, v) = at(t, j, p), t < blocks, j < 8, p < 8 (v 0 adds nothing).
func winogradMatrix(rows, cols, blocks int, at func(t, j, p int) (int, int, float64)) []float32 {
	m := make([]float32, rows*cols)
	for t := range blocks {
		for j := range winogradPoints {
			for p := range winogradPoints {
				if i, c, v := at(t, j, p); v != 0 {
					m[i*cols+c] = float32(v)
				}
			}
		}
	}
	return m
}

// winogradConv reports whether s's float32 forward pass runs by Winograd's
// F(4, 5): unit strides and dilations, no padding, one group, 5-wide
// filters over 12-wide planes, filters in blocks of 4 and output rows in
// blocks of 4, and the assembly.
func winogradConv(s ConvShape) bool {
	return winogradAsm && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1 &&
		s.PadH == 0 && s.PadW == 0 && s.groups() == 1 && s.S == winogradTaps && s.W == 12 &&
		s.K%4 == 0 && s.OutH()%4 == 0
}

// winogradImages is the number of images a lane transforms at a time: their
// transformed inputs and products stay in L2 (LeNet's conv2: 190 KB and
// 260 KB for 8 images).
func winogradImages(s ConvShape) int { return min(s.N, 8) }

// winogradLaneSize is a lane's scratch: the transformed inputs and the
// products of a group of images.
func winogradLaneSize(s ConvShape) int {
	return winogradImages(s) * 16 * (s.C*s.H + s.K*s.OutH())
}

// winogradWorkspace is the scratch of winogradForward: the transformed
// filters and the lanes' scratch.
func winogradWorkspace(s ConvShape) int {
	return s.K*s.C*s.R*winogradPoints + winogradLanes(s, winogradImages(s))*winogradLaneSize(s)
}

// winogradLanes is the number of lanes that get groups of gn images.
func winogradLanes(s ConvShape, gn int) int { return min(convLanes, ceilDiv(s.N, gn)) }

// winogradGroups calls fn for every group of gn images [n0, n0+cnt), lane
// after lane in parallel and in order within a lane (lane l takes groups l,
// l+lanes, …), with the lane's scratch, size elements of work.
func winogradGroups(s ConvShape, gn, size int, work []float32, fn func(n0, cnt int, scratch []float32)) {
	groups, lanes := ceilDiv(s.N, gn), winogradLanes(s, gn)
	ParallelFor(lanes, 1, func(lane, _, _ int) {
		scratch := work[lane*size : (lane+1)*size]
		for g := lane; g < groups; g += lanes {
			fn(g*gn, min(gn, s.N-g*gn), scratch)
		}
	})
}

// winogradInputs transforms the 12-wide rows of images [n0, n0+cnt) of x
// into v, two tiles of 8 points a row (for the forward and filter passes).
func winogradInputs(s ConvShape, x []float32, n0, cnt int, v []float32) {
	Gemm(false, false, cnt*s.C*s.H, 16, 12, 1, x[n0*s.C*s.H*12:], 12, winogradInputRows, 16, 0, v, 16)
}

// winogradFilters transforms w's rows of 5 taps, two at a time, by rows
// (winogradFilterRows or winogradFlippedFilterRows) into the start of
// work, K·C·R sets of 8 points, and returns them.
func winogradFilters(s ConvShape, w, rows, work []float32) []float32 {
	u := work[:s.K*s.C*s.R*winogradPoints]
	Gemm(false, false, s.K*s.C*s.R/2, 16, 10, 1, w, 10, rows, 16, 0, u, 16)
	return u
}

// winogradForward computes y = x ⋆ w (+ bias) for winogradConv(s), calling
// after(n0, gn), if not nil, once a group's outputs are in y (see
// conv2DForward).
func winogradForward(s ConvShape, x, w, bias, y, work []float32, after func(n0, gn int)) {
	crs, oh := s.C*s.R, s.OutH()
	u := winogradFilters(s, w, winogradFilterRows, work)
	gn := winogradImages(s)
	winogradGroups(s, gn, winogradLaneSize(s), work[len(u):], func(n0, cnt int, scratch []float32) {
		v, m := scratch[:gn*s.C*s.H*16], scratch[gn*s.C*s.H*16:]
		winogradInputs(s, x, n0, cnt, v)
		for n := range cnt {
			img := v[n*s.C*s.H*16 : (n+1)*s.C*s.H*16]
			for k := 0; k < s.K; k += 4 {
				for i := 0; i < oh; i += 4 {
					out := m[((n*s.K+k)*oh+i)*16:]
					_ = out[3*oh*16+4*16-1] // the kernel checks no bounds
					winogradTile32(s.C, s.R, &img[i*16], s.H*64, &u[k*crs*8], 32, crs*32, &out[0], oh*64, 0)
				}
			}
		}
		out := y[n0*s.K*oh*8 : (n0+cnt)*s.K*oh*8]
		beta := float32(0)
		if bias != nil {
			for j := range cnt * s.K {
				fill(out[j*oh*8:(j+1)*oh*8], bias[j%s.K])
			}
			beta = 1
		}
		Gemm(false, false, cnt*s.K*oh/2, 16, 32, 1, m, 32, winogradOutputRows, 16, beta, out, 16)
		if after != nil {
			after(n0, cnt)
		}
	})
}

// winogradFilter reports whether s's float32 backward filter pass runs by
// Winograd's F(5, 4): winogradConv's shapes with 5 filter rows.
func winogradFilter(s ConvShape) bool { return winogradConv(s) && s.R == winogradTaps }

// winogradFilterWorkspace is the scratch of winogradBackwardFilter: the
// lanes' scratch and partial sums, and the sum of the partials.
func winogradFilterWorkspace(s ConvShape) int {
	sums := s.K * s.C * s.R * 16
	return winogradLanes(s, winogradImages(s))*(winogradLaneSize(s)+sums) + sums
}

// winogradBackwardFilter computes dw from x and dy for winogradFilter(s).
// Lane l sums the products of its groups of images in order into a partial
// sum; the partials are added in lane order, then mapped to the taps.
func winogradBackwardFilter(s ConvShape, x, dy, dw, work []float32) {
	oh, sums, gn := s.OutH(), s.K*s.C*s.R*16, winogradImages(s)
	lanes, size := winogradLanes(s, gn), winogradLaneSize(s)+sums
	winogradGroups(s, gn, size, work, func(n0, cnt int, scratch []float32) {
		v, d := scratch[:gn*s.C*s.H*16], scratch[gn*s.C*s.H*16:size-sums]
		acc := scratch[size-sums:]
		if n0 < lanes*gn { // the lane's first group
			clear(acc)
		}
		winogradInputs(s, x, n0, cnt, v)
		Gemm(false, false, cnt*s.K*oh, 16, 8, 1, dy[n0*s.K*oh*8:], 8, winogradGradRows, 16, 0, d, 16)
		_, _ = d[((cnt-1)*s.K+s.K-1)*oh*16+oh*16-1], v[((cnt-1)*s.C+s.C-1)*s.H*16+s.H*16-1] // the kernel checks no bounds
		for k := 0; k < s.K; k += 4 {
			for c := range s.C {
				winogradFilterTile32(cnt, oh, &d[k*oh*16], oh*64, s.K*oh*64, &v[c*s.H*16], s.C*s.H*64,
					&acc[(k*s.C+c)*s.R*16], s.C*s.R*64)
			}
		}
	})
	sum := work[lanes*size : lanes*size+sums]
	addLanePartials(sums, size, work[size-sums:], lanes, sum)
	Gemm(false, false, s.K*s.C*s.R, winogradTaps, 16, 1, sum, 16, winogradTapRows, winogradTaps, 0, dw, winogradTaps)
}

// winogradData reports whether s's float32 backward data pass runs by
// Winograd's F(4, 5): winogradConv's shapes with 5 filter rows, channels in
// blocks of 4 and output rows in blocks of 8 (plane B's vectors hold two).
func winogradData(s ConvShape) bool {
	return winogradFilter(s) && s.C%4 == 0 && s.OutH()%8 == 0
}

// winogradDataImages is the number of images a lane of the backward data
// pass takes at a time (its planes for LeNet's conv2: 420 KB for 4).
func winogradDataImages(s ConvShape) int { return min(s.N, 4) }

// winogradDataLaneSize is a lane's scratch in the backward data pass: the
// transformed output gradients (planes A and B), the sums (A and B) and the
// input gradient rows they map to (8 and 4 wide) of a group of images.
func winogradDataLaneSize(s ConvShape) int {
	return winogradDataImages(s) * (24*s.K*s.OutH() + 24*s.C*s.H + 12*s.C*s.H)
}

// winogradDataWorkspace is the scratch of winogradBackwardData: the
// flipped, transformed filters and the lanes' scratch.
func winogradDataWorkspace(s ConvShape) int {
	return s.K*s.C*s.R*winogradPoints + winogradLanes(s, winogradDataImages(s))*winogradDataLaneSize(s)
}

// winogradBackwardData computes dx from w and dy for winogradData(s).
func winogradBackwardData(s ConvShape, w, dy, dx, work []float32) {
	oh, hw := s.OutH(), s.H*s.W
	u := winogradFilters(s, w, winogradFlippedFilterRows, work)
	gn := winogradDataImages(s)
	winogradGroups(s, gn, winogradDataLaneSize(s), work[len(u):], func(n0, cnt int, scratch []float32) {
		carve := func(n int) []float32 {
			part := scratch[:n]
			scratch = scratch[n:]
			return part
		}
		va, vb := carve(gn*s.K*oh*16), carve(gn*s.K*oh*8)
		sa, sb := carve(gn*s.C*s.H*16), carve(gn*s.C*s.H*8)
		za, zb := carve(gn*s.C*s.H*8), carve(gn*s.C*s.H*4)
		grads := dy[n0*s.K*oh*8 : (n0+cnt)*s.K*oh*8]
		Gemm(false, false, cnt*s.K*oh, 16, 8, 1, grads, 8, winogradPaddedRowsA, 16, 0, va, 16)
		Gemm(false, false, cnt*s.K*oh/2, 16, 16, 1, grads, 16, winogradPaddedRowsB, 16, 0, vb, 16)
		clear(sa[:cnt*s.C*s.H*16])
		clear(sb[:cnt*s.C*s.H*8])
		for n := range cnt {
			for r := range s.R {
				for c := 0; c < s.C; c += 4 {
					filters := &u[(c*s.R+r)*8]
					for j := 0; j < oh; j += 4 {
						out := sa[((n*s.C+c)*s.H+r+j)*16:]
						_ = out[3*s.H*16+4*16-1] // the kernel checks no bounds
						winogradTile32(s.K, 1, &va[(n*s.K*oh+j)*16], oh*64, filters, s.C*s.R*32, s.R*32, &out[0], s.H*64, 1)
					}
					for j := 0; j < oh; j += 8 {
						out := sb[((n*s.C+c)*s.H+r+j)*8:]
						_ = out[3*s.H*8+8*8-1]
						winogradTile32(s.K, 1, &vb[(n*s.K*oh+j)*8], oh*32, filters, s.C*s.R*32, s.R*32, &out[0], s.H*32, 1)
					}
				}
			}
		}
		rows := cnt * s.C * s.H
		Gemm(false, false, rows/2, 16, 32, 1, sa, 32, winogradOutputRows, 16, 0, za, 16)
		Gemm(false, false, rows/4, 16, 32, 1, sb, 32, winogradOutputRows, 16, 0, zb, 16)
		out := dx[n0*s.C*hw : (n0+cnt)*s.C*hw]
		copyRowBlocks(out, s.W, 0, za, 8, 0, rows, 8, 1)
		copyRowBlocks(out[8:], s.W, 0, zb, 4, 0, rows, 4, 1)
	})
}
