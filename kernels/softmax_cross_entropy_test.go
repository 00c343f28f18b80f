package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// naiveSoftmaxCE returns the mean loss and dloss/dlogits from the definition:
// softmax by exp(v)/Σexp, in float64 on moderate logits.
func naiveSoftmaxCE(n, classes int, logits, labels []float64) (float64, []float64) {
	var loss float64
	grad := make([]float64, len(logits))
	for i := 0; i < n; i++ {
		row := logits[i*classes : (i+1)*classes]
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		k := int(labels[i])
		loss -= math.Log(math.Exp(row[k])/z) / float64(n)
		for j, v := range row {
			grad[i*classes+j] = math.Exp(v) / z / float64(n)
		}
		grad[i*classes+k] -= 1 / float64(n)
	}
	return loss, grad
}

func randomLabels(rng *rand.Rand, n, classes int) []float64 {
	labels := make([]float64, n)
	for i := range labels {
		labels[i] = float64(rng.IntN(classes))
	}
	return labels
}

func testSoftmaxCE[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(60, 61))
	rtol, atol := typeTolerance[T]()
	for _, shape := range [][2]int{{1, 2}, {6, 5}, {64, 10}, {3000, 13}} {
		n, classes := shape[0], shape[1]
		logits, labels := uniformSlice(rng, n*classes, -5, 5), randomLabels(rng, n, classes)
		wantLoss, wantGrad := naiveSoftmaxCE(n, classes, logits, labels)
		loss, err := SoftmaxCrossEntropyForward(n, classes, asType[T](logits), Labels(asType[T](labels)))
		if err != nil {
			t.Fatal(err)
		}
		expectClose(t, "loss", []T{loss}, []float64{wantLoss}, rtol, atol)
		grad := make([]T, len(logits))
		SoftmaxCrossEntropyBackward(n, classes, asType[T](logits), Labels(asType[T](labels)), 2.5, grad)
		for i := range wantGrad {
			wantGrad[i] *= 2.5
		}
		expectClose(t, "dlogits", grad, wantGrad, rtol, atol)
	}
}

func TestSoftmaxCrossEntropyFloat64(t *testing.T) { testSoftmaxCE[float64](t) }
func TestSoftmaxCrossEntropyFloat32(t *testing.T) { testSoftmaxCE[float32](t) }

func TestSoftmaxCrossEntropyGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(62, 63))
	n, classes := 7, 4
	logits, labels := uniformSlice(rng, n*classes, -3, 3), randomLabels(rng, n, classes)
	grad := make([]float64, len(logits))
	SoftmaxCrossEntropyBackward(n, classes, logits, Labels(labels), 1, grad)
	fd := finiteDifference(logits, 1e-5, func() float64 {
		loss, err := SoftmaxCrossEntropyForward(n, classes, logits, Labels(labels))
		if err != nil {
			t.Fatal(err)
		}
		return loss
	})
	expectClose(t, "dlogits", grad, fd, 1e-6, 1e-9)
}

// Logits far beyond exp's range give finite, exact losses and gradients: a
// shift of all logits of a row changes nothing.
func TestSoftmaxCrossEntropyHugeLogits(t *testing.T) {
	base := []float64{1, -2, 0.5, 3}
	labels := []float64{2}
	wantLoss, wantGrad := naiveSoftmaxCE(1, 4, base, labels)
	for _, shift := range []float64{1e4, -1e4, 1e7} {
		shifted := make([]float64, len(base))
		for i, v := range base {
			shifted[i] = v + shift
		}
		loss, err := SoftmaxCrossEntropyForward(1, 4, shifted, Labels(labels))
		if err != nil {
			t.Fatal(err)
		}
		grad := make([]float64, 4)
		SoftmaxCrossEntropyBackward(1, 4, shifted, Labels(labels), 1, grad)
		expectClose(t, "loss", []float64{loss}, []float64{wantLoss}, 1e-8, 1e-8)
		expectClose(t, "dlogits", grad, wantGrad, 1e-8, 1e-8)
	}
	// float32: logits near the top of its range.
	loss32, err := SoftmaxCrossEntropyForward(2, 3, []float32{3e38, -3e38, 0, 1e30, 1e30, 2e30}, Labels([]float32{1, 2}))
	if err != nil || math.IsInf(float64(loss32), 0) || math.IsNaN(float64(loss32)) {
		t.Fatalf("float32 huge logits: loss %v, error %v", loss32, err)
	}
	grad32 := make([]float32, 6)
	SoftmaxCrossEntropyBackward(2, 3, []float32{3e38, -3e38, 0, 1e30, 1e30, 2e30}, Labels([]float32{1, 2}), 1, grad32)
	for i, g := range grad32 {
		if math.IsInf(float64(g), 0) || math.IsNaN(float64(g)) {
			t.Fatalf("float32 huge logits: dlogits[%d] = %v", i, g)
		}
	}
}

func TestSoftmaxCrossEntropyRejectsBadLabels(t *testing.T) {
	logits := make([]float32, 3*4)
	for _, tc := range []struct {
		labels []float32
		want   string
	}{
		{[]float32{0, 4, 1}, "label 4 of row 1"},
		{[]float32{-1, 0, 1}, "label -1 of row 0"},
		{[]float32{0, 1, 2.5}, "label 2.5 of row 2"},
		{[]float32{0, float32(math.NaN()), 1}, "label NaN of row 1"},
	} {
		_, err := SoftmaxCrossEntropyForward(3, 4, logits, Labels(tc.labels))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("labels %v: error %v, want one containing %q", tc.labels, err, tc.want)
		}
		// The backward pass does not panic on them either.
		SoftmaxCrossEntropyBackward(3, 4, logits, Labels(tc.labels), 1, make([]float32, 12))
	}
}

func TestCountCorrect(t *testing.T) {
	logits := []float64{
		0, 3, 1, // argmax 1
		2, 2, 1, // tie: the first maximum, 0
		-1, -3, -0.5, // 2
		5, 5, 5, // 0
	}
	if got := CountCorrect(4, 3, logits, []float64{1, 0, 2, 1}, false); got != 3 {
		t.Errorf("CountCorrect = %d, want 3", got)
	}
	if got := CountCorrect(4, 3, logits, []float64{0, 1, 7, -1}, false); got != 0 {
		t.Errorf("CountCorrect with wrong or invalid labels = %d, want 0", got)
	}
}

func TestSoftmaxCrossEntropyDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 65))
	n, classes := 5000, 10
	logits, labels := asType[float32](uniformSlice(rng, n*classes, -5, 5)), asType[float32](randomLabels(rng, n, classes))
	var losses [2][]float32
	var grads [2][]float32
	for i, procs := range []int{1, 2} {
		atProcs(procs, func() {
			loss, _ := SoftmaxCrossEntropyForward(n, classes, logits, Labels(labels))
			losses[i] = []float32{loss}
			grads[i] = make([]float32, len(logits))
			SoftmaxCrossEntropyBackward(n, classes, logits, Labels(labels), 1, grads[i])
		})
	}
	expectIdentical(t, "loss", losses[0], losses[1])
	expectIdentical(t, "dlogits", grads[0], grads[1])
}

// LeNet's loss: 64 rows of 10 classes.
func BenchmarkSoftmaxCrossEntropy(b *testing.B) {
	n, classes := 64, 10
	rng := rand.New(rand.NewPCG(1, 1))
	logits, labels := asType[float32](uniformSlice(rng, n*classes, -5, 5)), asType[float32](randomLabels(rng, n, classes))
	grad := make([]float32, n*classes)
	for b.Loop() {
		if _, err := SoftmaxCrossEntropyForward(n, classes, logits, Labels(labels)); err != nil {
			b.Fatal(err)
		}
		SoftmaxCrossEntropyBackward(n, classes, logits, Labels(labels), 1, grad)
	}
	reportBandwidth(b, 4*(3*n*classes+2*n)) // logits read twice, gradient written, labels read twice
}

// torchCrossEntropy is torch.nn.functional.cross_entropy's loss as PyTorch 1.13
// composes it, written independently of the kernel: for class indices the
// weighted negative log-likelihood and the smoothing term −Σ_c w_c·log p_c,
// both divided by Σ_i w_{label_i}, mixed as (1−ε)·nll + ε/C·smooth; for
// probabilities −Σ_c w_c·((1−ε)·t_c + ε/C)·log p_c averaged over the rows.
func torchCrossEntropy(n, classes int, logits, targets []float64, soft bool, weights []float64, eps float64) float64 {
	w := func(c int) float64 {
		if weights == nil {
			return 1
		}
		return weights[c]
	}
	logp := func(i, c int) float64 {
		row := logits[i*classes : (i+1)*classes]
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		return row[c] - math.Log(z)
	}
	if soft {
		var sum float64
		for i := 0; i < n; i++ {
			for c := 0; c < classes; c++ {
				sum -= w(c) * ((1-eps)*targets[i*classes+c] + eps/float64(classes)) * logp(i, c)
			}
		}
		return sum / float64(n)
	}
	var nll, smooth, total float64
	for i := 0; i < n; i++ {
		k := int(targets[i])
		nll -= w(k) * logp(i, k)
		total += w(k)
		for c := 0; c < classes; c++ {
			smooth -= w(c) * logp(i, c)
		}
	}
	return (1-eps)*nll/total + eps/float64(classes)*smooth/total
}

// randomProbabilities draws n rows of a distribution over classes.
func randomProbabilities(rng *rand.Rand, n, classes int) []float64 {
	p := uniformSlice(rng, n*classes, 0, 1)
	for i := 0; i < n; i++ {
		row := p[i*classes : (i+1)*classes]
		var s float64
		for _, v := range row {
			s += v
		}
		for c := range row {
			row[c] /= s
		}
	}
	return p
}

// crossEntropyCases are targets of every kind for n rows of classes.
func crossEntropyCases(rng *rand.Rand, n, classes int) []struct {
	name   string
	target CrossEntropyTarget[float64]
} {
	labels, probs := randomLabels(rng, n, classes), randomProbabilities(rng, n, classes)
	weights := uniformSlice(rng, classes, 0.2, 3)
	return []struct {
		name   string
		target CrossEntropyTarget[float64]
	}{
		{"labels", Labels(labels)},
		{"smoothed labels", CrossEntropyTarget[float64]{Values: labels, Smoothing: 0.1}},
		{"weighted labels", CrossEntropyTarget[float64]{Values: labels, Weights: weights}},
		{"weighted smoothed labels", CrossEntropyTarget[float64]{Values: labels, Weights: weights, Smoothing: 0.3}},
		{"soft", CrossEntropyTarget[float64]{Values: probs, Soft: true}},
		{"weighted smoothed soft", CrossEntropyTarget[float64]{Values: probs, Soft: true, Weights: weights, Smoothing: 0.25}},
	}
}

func testCrossEntropyOptions[T Float](t *testing.T) {
	rng := rand.New(rand.NewPCG(66, 67))
	rtol, atol := typeTolerance[T]()
	for _, shape := range [][2]int{{1, 3}, {9, 5}, {2000, 13}} {
		n, classes := shape[0], shape[1]
		logits := uniformSlice(rng, n*classes, -5, 5)
		for _, tc := range crossEntropyCases(rng, n, classes) {
			tt := CrossEntropyTarget[T]{Values: asType[T](tc.target.Values), Soft: tc.target.Soft,
				Weights: asType[T](tc.target.Weights), Smoothing: T(tc.target.Smoothing)}
			if tc.target.Weights == nil {
				tt.Weights = nil
			}
			loss, err := SoftmaxCrossEntropyForward(n, classes, asType[T](logits), tt)
			if err != nil {
				t.Fatal(err)
			}
			want := torchCrossEntropy(n, classes, logits, tc.target.Values, tc.target.Soft, tc.target.Weights, float64(T(tc.target.Smoothing)))
			expectClose(t, fmt.Sprintf("%v %s loss", shape, tc.name), []T{loss}, []float64{want}, rtol, atol)
		}
	}
}

func TestCrossEntropyOptionsFloat64(t *testing.T) { testCrossEntropyOptions[float64](t) }
func TestCrossEntropyOptionsFloat32(t *testing.T) { testCrossEntropyOptions[float32](t) }

func TestCrossEntropyOptionsGradientMatchesFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(68, 69))
	n, classes := 6, 4
	logits := uniformSlice(rng, n*classes, -3, 3)
	for _, tc := range crossEntropyCases(rng, n, classes) {
		grad := make([]float64, len(logits))
		SoftmaxCrossEntropyBackward(n, classes, logits, tc.target, 1.7, grad)
		fd := finiteDifference(logits, 1e-5, func() float64 {
			loss, err := SoftmaxCrossEntropyForward(n, classes, logits, tc.target)
			if err != nil {
				t.Fatal(err)
			}
			return 1.7 * loss
		})
		expectClose(t, tc.name+" dlogits", grad, fd, 1e-6, 1e-9)
	}
}

func TestCrossEntropyRejectsBadOptions(t *testing.T) {
	logits, labels := make([]float64, 2*3), []float64{0, 2}
	for _, tc := range []struct {
		target CrossEntropyTarget[float64]
		want   string
	}{
		{CrossEntropyTarget[float64]{Values: labels, Smoothing: 1}, "label smoothing 1 is outside [0, 1)"},
		{CrossEntropyTarget[float64]{Values: labels, Smoothing: -0.1}, "label smoothing -0.1 is outside [0, 1)"},
		{CrossEntropyTarget[float64]{Values: labels, Smoothing: math.NaN()}, "label smoothing NaN"},
		{CrossEntropyTarget[float64]{Values: labels, Weights: []float64{1, 2}}, "2 class weights for 3 classes"},
		{CrossEntropyTarget[float64]{Values: labels, Soft: true}, "2 target probabilities for 2 rows of 3 classes"},
	} {
		if _, err := SoftmaxCrossEntropyForward(2, 3, logits, tc.target); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.target, err, tc.want)
		}
	}
}

func TestCountCorrectSoftTargets(t *testing.T) {
	logits := []float64{0, 3, 1, 2, 2, 1}
	// Dominant classes 1 and 1 (the first of two equal maxima): one hit.
	if got := CountCorrect(2, 3, logits, []float64{0.2, 0.5, 0.3, 0.1, 0.45, 0.45}, true); got != 1 {
		t.Errorf("CountCorrect = %d, want 1", got)
	}
}

// Weighted, smoothed and soft targets are chunked as the plain loss is: the
// same bits with 1 or 2 threads.
func TestCrossEntropyOptionsDeterministicAcrossGOMAXPROCS(t *testing.T) {
	rng := rand.New(rand.NewPCG(72, 73))
	n, classes := 5000, 10
	logits := asType[float32](uniformSlice(rng, n*classes, -5, 5))
	for _, tc := range crossEntropyCases(rng, n, classes) {
		target := CrossEntropyTarget[float32]{Values: asType[float32](tc.target.Values), Soft: tc.target.Soft, Smoothing: float32(tc.target.Smoothing)}
		if tc.target.Weights != nil {
			target.Weights = asType[float32](tc.target.Weights)
		}
		var losses, grads [2][]float32
		for i, procs := range []int{1, 2} {
			atProcs(procs, func() {
				loss, err := SoftmaxCrossEntropyForward(n, classes, logits, target)
				if err != nil {
					t.Fatal(err)
				}
				losses[i] = []float32{loss}
				grads[i] = make([]float32, len(logits))
				SoftmaxCrossEntropyBackward(n, classes, logits, target, 1, grads[i])
			})
		}
		expectIdentical(t, tc.name+" loss", losses[0], losses[1])
		expectIdentical(t, tc.name+" dlogits", grads[0], grads[1])
	}
}
