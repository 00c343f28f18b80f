package kernels

// Row tiles of implicit convolutions (see conv_implicit.go).

// implicitRowTiles reports whether s's float32 implicit GEMMs run tiles of
// whole output rows, written straight into y: rows of 16, 32 or 48, whose
// 16-wide vectors the tiles take three at a time in order across the rows,
// or 8 wide, six rows a tile, in pairs (narrower tiles keep too few
// accumulators busy), filters in whole micro-kernel rows, and the AVX-512
// kernels.
func implicitRowTiles(s ConvShape) bool {
	ow := s.OutW()
	rows := ow == 16 || ow == 32 || ow == 48 || ow == 8 && s.OutH()%2 == 0
	return rows && s.K%8 == 0 && implicitDirect(sgemmArch)
}

// implicitRowsGemm computes y = filters · B (+ beta·y) for implicitRowTiles:
// output row i's B runs start i·Wq into xs, so no column past OutW is
// computed and the tiles go to y, not to ext. A tile of vectors from several
// rows (rows of 16, or the second half of a row of 32 and the next row) is
// contiguous in y; the kernel finds each vector's run at its own offset.
func implicitRowsGemm(s ConvShape, l implicitLayout, taps implicitTaps, filters, xs, y []float32, beta float32) {
	crs, p, oh, ow := s.C*s.R*s.S, s.OutH()*s.OutW(), s.OutH(), s.OutW()
	kcBlock := ceilDiv(crs, ceilDiv(crs, min(sgemmArch.kc, implicitMaxKC)))
	_ = y[s.K*p-1]
	_ = xs[taps.last+l.ext-1] // the kernels check no bounds
	for pc := 0; pc < crs; pc += kcBlock {
		kc := min(kcBlock, crs-pc)
		offsets := taps.offsets[pc : pc+kc]
		b := beta
		if pc > 0 {
			b = 1
		}
		if ow == 8 { // half a vector a row
			for i := 0; i < oh; {
				rows := tileRows(oh-i, 6, 2)
				for k := 0; k < s.K; k += 8 {
					implicitTile(rows*8, true, kc, &filters[k*crs+pc], crs, &offsets[0], &xs[i*l.wq], l.wq, 0, &y[k*p+i*8], p, b)
				}
				i += rows
			}
			continue
		}
		perRow := ow / 16
		at := func(v int) int { return v/perRow*l.wq + v%perRow*16 } // vector v's run in xs
		for v := 0; v < oh*perRow; {
			n := tileRows(oh*perRow-v, 3, 1)
			base := at(v)
			for k := 0; k < s.K; k += 8 {
				implicitTile(16*n, false, kc, &filters[k*crs+pc], crs, &offsets[0], &xs[base], at(v+1)-base, at(v+2)-base, &y[k*p+v*16], p, b)
			}
			v += n
		}
	}
}

// tileRows is how many of the left output rows (or vectors) the next tile
// takes: up to perTile, in whole pairs for half-vector rows, except that the
// last two tiles share them about evenly (6+2 rows of 8 become 4+4, 3+1
// vectors 2+2), as a narrow tile keeps too few accumulators busy.
func tileRows(left, perTile, pair int) int {
	if left <= perTile || left >= 2*perTile {
		return min(left, perTile)
	}
	return roundUp(ceilDiv(left, 2), pair)
}
