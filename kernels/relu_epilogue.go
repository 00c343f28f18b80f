package kernels

// ReLU epilogues: a sum or a bias add and the ReLU after it, in one pass over
// memory. Each piece of reluPiece elements is clamped right after it is
// written, while it is in cache, by the same ReLU as ReluForward.

// AddRelu sets out = max(a + b, 0), NaN staying NaN: a residual connection's
// sum and the ReLU after it.
func AddRelu[T Float](a, b, out []T) {
	ParallelFor(len(out), elementGrain, func(_, lo, hi int) {
		for p := lo; p < hi; p += reluPiece {
			o := out[p:min(p+reluPiece, hi)]
			addRow(a[p:p+len(o)], b[p:p+len(o)], o)
			reluRow(o, o)
		}
	})
}

// BiasAddReluRows sets y = max(y + b, 0) for y N×C (a linear layer's output)
// and b of length C.
func BiasAddReluRows[T Float](n, c int, b, y []T) {
	ParallelFor(n, max(1, elementGrain/c), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			row := y[i*c : (i+1)*c]
			for j, v := range b[:c] {
				row[j] += v
			}
			reluRow(row, row)
		}
	})
}
