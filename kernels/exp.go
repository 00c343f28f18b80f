package kernels

import "math"

// The float32 activations evaluate their exponentials with expNonPositive,
// in float64: its error is far below float32's rounding, so the outputs are
// those of math.Exp to within an ulp, at a fraction of its cost.

// Range reduction constants: ln 2 split so that k·ln2Hi is exact for the k
// used here, and 1.5·2⁵², whose addition rounds to an integer.
const (
	ln2Hi      = 6.93147180369123816490e-01
	ln2Lo      = 1.90821492927058770002e-10
	roundMagic = 0x1.8p52
)

// expNonPositive returns e^a for a ≤ 0 (NaN stays NaN) with relative error
// below 1e-11, flushing to about e^−110 (below float32's smallest denormal):
// a = k·ln 2 + r with |r| ≤ ln2/2, e^r by its Taylor polynomial to r⁹ in
// Horner form, times 2^k built from its exponent bits.
func expNonPositive(a float64) float64 {
	a = max(a, -110)
	k := (a*math.Log2E + roundMagic) - roundMagic
	r := (a - k*ln2Hi) - k*ln2Lo
	p := 1.0 / 362880
	p = p*r + 1.0/40320
	p = p*r + 1.0/5040
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}
