package kernels

import (
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
		loss, err := SoftmaxCrossEntropyForward(n, classes, asType[T](logits), asType[T](labels))
		if err != nil {
			t.Fatal(err)
		}
		expectClose(t, "loss", []T{loss}, []float64{wantLoss}, rtol, atol)
		grad := make([]T, len(logits))
		SoftmaxCrossEntropyBackward(n, classes, asType[T](logits), asType[T](labels), 2.5, grad)
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
	SoftmaxCrossEntropyBackward(n, classes, logits, labels, 1, grad)
	fd := finiteDifference(logits, 1e-5, func() float64 {
		loss, err := SoftmaxCrossEntropyForward(n, classes, logits, labels)
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
		loss, err := SoftmaxCrossEntropyForward(1, 4, shifted, labels)
		if err != nil {
			t.Fatal(err)
		}
		grad := make([]float64, 4)
		SoftmaxCrossEntropyBackward(1, 4, shifted, labels, 1, grad)
		expectClose(t, "loss", []float64{loss}, []float64{wantLoss}, 1e-8, 1e-8)
		expectClose(t, "dlogits", grad, wantGrad, 1e-8, 1e-8)
	}
	// float32: logits near the top of its range.
	loss32, err := SoftmaxCrossEntropyForward(2, 3, []float32{3e38, -3e38, 0, 1e30, 1e30, 2e30}, []float32{1, 2})
	if err != nil || math.IsInf(float64(loss32), 0) || math.IsNaN(float64(loss32)) {
		t.Fatalf("float32 huge logits: loss %v, error %v", loss32, err)
	}
	grad32 := make([]float32, 6)
	SoftmaxCrossEntropyBackward(2, 3, []float32{3e38, -3e38, 0, 1e30, 1e30, 2e30}, []float32{1, 2}, 1, grad32)
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
		_, err := SoftmaxCrossEntropyForward(3, 4, logits, tc.labels)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("labels %v: error %v, want one containing %q", tc.labels, err, tc.want)
		}
		// The backward pass does not panic on them either.
		SoftmaxCrossEntropyBackward(3, 4, logits, tc.labels, 1, make([]float32, 12))
	}
}

func TestCountCorrect(t *testing.T) {
	logits := []float64{
		0, 3, 1, // argmax 1
		2, 2, 1, // tie: the first maximum, 0
		-1, -3, -0.5, // 2
		5, 5, 5, // 0
	}
	if got := CountCorrect(4, 3, logits, []float64{1, 0, 2, 1}); got != 3 {
		t.Errorf("CountCorrect = %d, want 3", got)
	}
	if got := CountCorrect(4, 3, logits, []float64{0, 1, 7, -1}); got != 0 {
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
			loss, _ := SoftmaxCrossEntropyForward(n, classes, logits, labels)
			losses[i] = []float32{loss}
			grads[i] = make([]float32, len(logits))
			SoftmaxCrossEntropyBackward(n, classes, logits, labels, 1, grads[i])
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
		if _, err := SoftmaxCrossEntropyForward(n, classes, logits, labels); err != nil {
			b.Fatal(err)
		}
		SoftmaxCrossEntropyBackward(n, classes, logits, labels, 1, grad)
	}
	reportBandwidth(b, 4*(3*n*classes+2*n)) // logits read twice, gradient written, labels read twice
}
