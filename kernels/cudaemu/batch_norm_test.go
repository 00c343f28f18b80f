package cudaemu

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels"
	"github.com/descent-ml/descent/kernels/launch"
)

func TestBatchNorm(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(17, 18))
	const eps, momentum = 1e-5, 0.1
	for _, shape := range [][3]int{{8, 3, 1}, {2, 4, 25}, {3, 2, 300}} {
		n, c, l := shape[0], shape[1], shape[2]
		size := n * c * l
		x, dy := random(r, size, 2), random(r, size, 1)
		for i := range x {
			x[i] += 0.5 // a mean away from zero
		}
		gamma, beta := random(r, c, 1), random(r, c, 1)
		runMean, runVar := random(r, c, 1), make([]float32, c)
		for i := range runVar {
			runVar[i] = 0.5 + r.Float32()
		}
		px, pdy, pg, pb := d.from(x), d.from(dy), d.from(gamma), d.from(beta)
		prm, prv := d.from(runMean), d.from(runVar)
		pmean, pvar, pinv, py := d.alloc(c), d.alloc(c), d.alloc(c), d.alloc(size)

		mean, variance := make([]float32, c), make([]float32, c)
		kernels.BatchNormStats(n, c, l, x, mean, variance)
		d.run(launch.BatchNormStats(n, c, l, px, pmean, pvar))
		near(t, name("BatchNormStats mean %v", shape), d.get(pmean, c), mean, 1e-6)
		near(t, name("BatchNormStats variance %v", shape), d.get(pvar, c), variance, 1e-6)
		// The remaining kernels take the Go statistics, so they agree exactly where
		// the Go code has no sums — up to an ulp where its assembly fuses a
		// multiply-add (normalizeAsm on AVX-512).
		if err := d.emu.Upload(pmean, mean); err != nil {
			t.Fatal(err)
		}
		if err := d.emu.Upload(pvar, variance); err != nil {
			t.Fatal(err)
		}

		kernels.BatchNormUpdateRunning(n*l, float32(momentum), mean, variance, runMean, runVar)
		d.run(launch.BatchNormUpdateRunning(n*l, momentum, pmean, pvar, prm, prv, c))
		exact(t, name("BatchNormUpdateRunning mean %v", shape), d.get(prm, c), runMean)
		exact(t, name("BatchNormUpdateRunning var %v", shape), d.get(prv, c), runVar)

		invStd := make([]float32, c)
		for i, v := range variance {
			invStd[i] = float32(1 / math.Sqrt(float64(v)+eps))
		}
		d.run(launch.BatchNormInvStd(c, pvar, eps, pinv))
		exact(t, name("BatchNormInvStd %v", shape), d.get(pinv, c), invStd)

		for _, affine := range []bool{true, false} {
			g, b, pgam, pbet := gamma, beta, pg, pb
			if !affine {
				g, b, pgam, pbet = nil, nil, cuda.Ptr(0), cuda.Ptr(0)
			}
			y := make([]float32, size)
			kernels.BatchNormForwardEval(n, c, l, x, g, b, mean, variance, eps, y)
			d.run(launch.BatchNormForwardEval(n, c, l, px, pgam, pbet, pmean, pvar, eps, py))
			near(t, name("BatchNormForwardEval %v affine=%t", shape, affine), d.get(py, size), y, 1e-6)

			dx, dgamma, dbeta := make([]float32, size), make([]float32, c), make([]float32, c)
			pdx, pdg, pdb := d.alloc(size), d.alloc(c), d.alloc(c)
			kernels.BatchNormBackward(n, c, l, x, g, dy, mean, invStd, dx, dgamma, dbeta)
			d.run(launch.BatchNormBackward(n, c, l, px, pgam, pdy, pmean, pinv, pdx, pdg, pdb))
			near(t, name("BatchNormBackward dx %v affine=%t", shape, affine), d.get(pdx, size), dx, 1e-5)
			near(t, name("BatchNormBackward dgamma %v", shape), d.get(pdg, c), dgamma, 1e-5)
			near(t, name("BatchNormBackward dbeta %v", shape), d.get(pdb, c), dbeta, 1e-5)
			// dx alone, the way the graph asks for it.
			d.run(launch.BatchNormBackward(n, c, l, px, pgam, pdy, pmean, pinv, pdx, 0, 0))
			near(t, name("BatchNormBackward dx only %v", shape), d.get(pdx, size), dx, 1e-5)

			// dx from the γ-free sums, as the graph computes it.
			sumsDg, sumsDb := make([]float32, c), make([]float32, c)
			kernels.BatchNormBackward(n, c, l, x, nil, dy, mean, invStd, nil, sumsDg, sumsDb)
			kernels.BatchNormBackwardData(n, c, l, x, g, dy, mean, invStd, sumsDg, sumsDb, dx)
			d.run(launch.BatchNormBackwardData(n, c, l, px, pgam, pdy, pmean, pinv, d.from(sumsDg), d.from(sumsDb), pdx))
			near(t, name("BatchNormBackwardData %v affine=%t", shape, affine), d.get(pdx, size), dx, 1e-5)

			kernels.BatchNormBackwardEval(n, c, l, g, variance, eps, dy, dx)
			d.run(launch.BatchNormBackwardEval(n, c, l, pgam, pvar, eps, pdy, pdx))
			near(t, name("BatchNormBackwardEval %v affine=%t", shape, affine), d.get(pdx, size), dx, 1e-6)
		}
	}
}

// TestSoftmaxCrossEntropy compares the loss kernels with their Go twins for
// class indices and soft targets, with and without class weights and label
// smoothing.
func TestSoftmaxCrossEntropy(t *testing.T) {
	d := newDevice(t)
	r := rand.New(rand.NewPCG(19, 20))
	for _, shape := range [][2]int{{1, 2}, {37, 10}, {300, 7}} {
		n, classes := shape[0], shape[1]
		logits, labels := random(r, n*classes, 8), make([]float32, n)
		for i := range labels {
			labels[i] = float32(r.IntN(classes))
		}
		logits[0] = 80 // large logits must not overflow
		probs := softTargets(r, n, classes)
		weights := make([]float32, classes)
		for c := range weights {
			weights[c] = 0.25 + 2*r.Float32()
		}
		pl := d.from(logits)
		for _, tc := range []struct {
			name   string
			target kernels.CrossEntropyTarget[float32]
		}{
			{"labels", kernels.Labels(labels)},
			{"weighted smoothed labels", kernels.CrossEntropyTarget[float32]{Values: labels, Weights: weights, Smoothing: 0.1}},
			{"soft", kernels.CrossEntropyTarget[float32]{Values: probs, Soft: true}},
			{"weighted smoothed soft", kernels.CrossEntropyTarget[float32]{Values: probs, Soft: true, Weights: weights, Smoothing: 0.2}},
		} {
			dt := launch.CrossEntropyTarget{Values: d.from(tc.target.Values), Soft: tc.target.Soft, Smoothing: tc.target.Smoothing}
			if tc.target.Weights != nil {
				dt.Weights = d.from(tc.target.Weights)
			}
			ploss := d.alloc(1)
			want, err := kernels.SoftmaxCrossEntropyForward(n, classes, logits, tc.target)
			if err != nil {
				t.Fatal(err)
			}
			d.run(launch.SoftmaxCrossEntropyForward(n, classes, pl, dt, ploss))
			near(t, name("SoftmaxCrossEntropyForward %v %s", shape, tc.name), d.get(ploss, 1), []float32{want}, 1e-6)

			const dloss = 1.5
			pd, pgrad := d.from([]float32{dloss}), d.alloc(n*classes)
			grad := make([]float32, n*classes)
			kernels.SoftmaxCrossEntropyBackward(n, classes, logits, tc.target, dloss, grad)
			d.run(launch.SoftmaxCrossEntropyBackward(n, classes, pl, dt, pd, pgrad))
			near(t, name("SoftmaxCrossEntropyBackward %v %s", shape, tc.name), d.get(pgrad, n*classes), grad, 1e-6)
		}

		// Ties: the first maximal logit counts, and the first maximal probability.
		for i := 0; i < n; i += 3 {
			logits[i*classes+classes-1] = logits[i*classes]
			probs[i*classes+classes-1] = probs[i*classes]
		}
		if err := d.emu.Upload(pl, logits); err != nil {
			t.Fatal(err)
		}
		for _, soft := range []bool{false, true} {
			targets := labels
			if soft {
				targets = probs
			}
			pc := d.alloc(1)
			d.run(launch.CountCorrect(n, classes, pl, d.from(targets), soft, pc))
			var got [4]byte
			if err := d.emu.DownloadBytes(got[:], pc); err != nil {
				t.Fatal(err)
			}
			correct := int(int32(uint32(got[0]) | uint32(got[1])<<8 | uint32(got[2])<<16 | uint32(got[3])<<24))
			if want := kernels.CountCorrect(n, classes, logits, targets, soft); correct != want {
				t.Fatalf("CountCorrect %v soft=%t = %d, Go twin gives %d", shape, soft, correct, want)
			}
		}
	}
}

// softTargets draws n probability rows over classes, each mixing two one-hot
// labels as mixup does, plus a little of every class.
func softTargets(r *rand.Rand, n, classes int) []float32 {
	probs := make([]float32, n*classes)
	for i := 0; i < n; i++ {
		row := probs[i*classes : (i+1)*classes]
		lam := r.Float32()
		for c := range row {
			row[c] = 0.01
		}
		row[r.IntN(classes)] += lam
		row[r.IntN(classes)] += 1 - lam
		for c := range row {
			row[c] /= 1 + 0.01*float32(classes)
		}
	}
	return probs
}
