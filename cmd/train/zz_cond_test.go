//go:build sweepdev

package main

import ("testing";"math";"math/rand/v2";"gonum.org/v1/gonum/mat")

func leg(t float64, n int) float64 { p0, p1 := 1.0, t; if n==0 {return 1}; for k:=1;k<n;k++ { p0, p1 = p1, ((2*float64(k)+1)*t*p1-float64(k)*p0)/float64(k+1) }; return p1 }

func TestCond(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
		for _, m := range []int{30, 20, 16, 12} {
		for _, deg := range []int{9, 12, 15} {
		x := make([]float64, m)
		for i := range x { x[i] = -1 + 2*rng.Float64() }
		X := mat.NewDense(m, deg, nil)
		for j := 0; j < deg; j++ {
			var mu, sd float64
			for i := range x { mu += leg(x[i], j+1) / float64(m) }
			for i := range x { d := leg(x[i], j+1) - mu; sd += d*d/float64(m) }
			for i := range x { X.Set(i, j, (leg(x[i], j+1)-mu)/math.Sqrt(sd)) }
		}
		var H mat.SymDense
		H.SymOuterK(1.0/float64(m), X.T())
		var es mat.EigenSym
		es.Factorize(&H, false)
		v := es.Values(nil)
		t.Log(m, deg, v[len(v)-1]/v[0], v[0], v[len(v)-1])
		}
	}
}
