package kernels

// Row tiles of implicit convolutions (see conv_implicit.go).

// implicitRowTiles reports whether s's float32 implicit GEMMs run tiles of
// whole output rows, written straight into y: rows 32 or 48 wide, one a tile,
// 16 wide, three a tile, or 8 wide, six a tile, in pairs (narrower tiles keep
// too few accumulators busy), filters in whole micro-kernel rows, and the
// AVX-512 kernels.
func implicitRowTiles(s ConvShape) bool {
	ow := s.OutW()
	rows := ow == 16 || ow == 32 || ow == 48 || ow == 8 && s.OutH()%2 == 0
	return rows && s.K%8 == 0 && implicitDirect(sgemmArch)
}

// implicitRowsGemm computes y = filters · B (+ beta·y) for implicitRowTiles:
// output row i's B runs start i·Wq into xs, so no column past OutW is
// computed and the tiles go to y, not to ext.
func implicitRowsGemm(s ConvShape, l implicitLayout, taps implicitTaps, filters, xs, y []float32, beta float32) {
	crs, p, oh, ow := s.C*s.R*s.S, s.OutH()*s.OutW(), s.OutH(), s.OutW()
	kcBlock := ceilDiv(crs, ceilDiv(crs, min(sgemmArch.kc, implicitMaxKC)))
	perTile, pair, vstride := 1, 1, 16 // a row's vectors are one run
	switch ow {
	case 16:
		perTile, vstride = 3, l.wq // a vector a row
	case 8:
		perTile, pair, vstride = 6, 2, l.wq // half a vector a row
	}
	_ = y[s.K*p-1]
	_ = xs[taps.last+l.ext-1] // the kernels check no bounds
	for pc := 0; pc < crs; pc += kcBlock {
		kc := min(kcBlock, crs-pc)
		offsets := taps.offsets[pc : pc+kc]
		b := beta
		if pc > 0 {
			b = 1
		}
		for i := 0; i < oh; {
			rows := tileRows(oh-i, perTile, pair)
			width := rows * ow
			for k := 0; k < s.K; k += 8 {
				implicitTile(width, ow == 8, kc, &filters[k*crs+pc], crs, &offsets[0], &xs[i*l.wq], vstride, &y[k*p+i*ow], p, b)
			}
			i += rows
		}
	}
}

// tileRows is how many of the left output rows the next tile takes: up to
// perTile, in whole pairs for half-vector rows, except that the last two
// tiles share their rows about evenly (6+2 rows of 8 become 4+4), as a narrow
// tile keeps too few accumulators busy.
func tileRows(left, perTile, pair int) int {
	if left <= perTile || left >= 2*perTile {
		return min(left, perTile)
	}
	return roundUp(ceilDiv(left, 2), pair)
}
