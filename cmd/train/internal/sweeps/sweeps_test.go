package sweeps

import (
	"bufio"
	"encoding/json"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/layers/weights"
)

// runSweep runs `train sweep args…` into a temporary folder and returns it.
func runSweep(t *testing.T, args ...string) string {
	t.Helper()
	out := t.TempDir()
	if err := Command(append([]string{args[0], "-out", out}, args[1:]...)); err != nil {
		t.Fatal(err)
	}
	return out
}

// readLines decodes every line of dir/metrics.jsonl into a T; it fails the
// test on a line that does not parse or when there are not want lines.
func readLines[T any](t *testing.T, dir string, want int) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	for s := bufio.NewScanner(f); s.Scan(); {
		var v T
		dec := json.NewDecoder(strings.NewReader(s.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("metrics.jsonl line %d: %v", len(out)+1, err)
		}
		out = append(out, v)
	}
	if len(out) != want {
		t.Fatalf("metrics.jsonl has %d lines, want %d", len(out), want)
	}
	return out
}

// checkPNGs fails unless every file is a PNG that decodes.
func checkPNGs(t *testing.T, dir string, files ...string) {
	t.Helper()
	for _, name := range files {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := png.DecodeConfig(f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		f.Close()
	}
}

// TestSweepPoly checks the textbook facts on the engine's fits: the highest
// degree has the lowest training error and a higher validation error than
// the right degree, and a proper λ brings its validation error back down.
func TestSweepPoly(t *testing.T) {
	dir := runSweep(t, "poly", "-steps", "4000", "-lambdas", "1e-4,1,100", "-class-points", "60", "-class-degrees", "1,2,4", "-val-points", "200")
	fits := readLines[polyFit](t, dir, 15+3+4+3)
	checkPNGs(t, dir, "poly_fit.png", "logistic_boundary.png", "poly_error.png")
	reg := map[int]polyFit{}
	bestVal := math.Inf(1)
	for _, f := range fits {
		switch {
		case f.Task == "regression" && f.Lambda == 0:
			reg[f.Degree] = f
		case f.Task == "regression":
			bestVal = min(bestVal, f.ValLoss)
		case f.Task == "classification" && (f.TrainError < 0 || f.TrainError > 1):
			t.Errorf("classification error %g is not a rate", f.TrainError)
		}
	}
	low, right, high := reg[1], reg[4], reg[15]
	t.Logf("train MSE %.4f %.4f %.4f, validation MSE %.4f %.4f %.4f, best with ridge %.4f",
		low.TrainLoss, right.TrainLoss, high.TrainLoss, low.ValLoss, right.ValLoss, high.ValLoss, bestVal)
	if !(high.TrainLoss < right.TrainLoss && right.TrainLoss < low.TrainLoss) {
		t.Errorf("training MSE of degrees 1, 4, 15: %g, %g, %g; want it falling", low.TrainLoss, right.TrainLoss, high.TrainLoss)
	}
	if !(high.ValLoss > 2*right.ValLoss) {
		t.Errorf("validation MSE of degree 15 is %g, want well above degree 4's %g", high.ValLoss, right.ValLoss)
	}
	if !(bestVal < high.ValLoss/5 && bestVal < 2*right.ValLoss) {
		t.Errorf("best ridge validation MSE %g, want far below degree 15's %g and near degree 4's %g", bestVal, high.ValLoss, right.ValLoss)
	}
}

// TestPolyRidgeMatchesClosedForm: the engine's fit with the solvers' l2 =
// 2λ/m on weights only is the textbook ridge solution θ = (XᵀX + λI)⁻¹Xᵀ(y−ȳ),
// bias ȳ (the features are centred on the training set).
func TestPolyRidgeMatchesClosedForm(t *testing.T) {
	p := &polySweep{noise: 0.3, basis: "legendre", steps: 20000, lr: 0.01, seed: 3}
	rng := rand.New(rand.NewPCG(3, 4))
	train, val := p.regressionData(20, true, rng), p.regressionData(50, false, rng)
	for _, c := range []struct {
		degree int
		lambda float64
	}{{4, 0}, {4, 0.1}, {8, 1}} {
		f, err := p.fit(train, val, c.degree, false, c.lambda)
		if err != nil {
			t.Fatal(err)
		}
		x := f.feat.apply(train.x)
		n := len(f.feat.exps)
		var ybar float64
		for _, y := range train.y {
			ybar += y / float64(len(train.y))
		}
		a, rhs := make([][]float64, n), make([]float64, n)
		for j := range n {
			a[j] = make([]float64, n)
			a[j][j] = c.lambda
			for k := range n {
				for i := range train.y {
					a[j][k] += x.F64[i*n+j] * x.F64[i*n+k]
				}
			}
			for i, y := range train.y {
				rhs[j] += x.F64[i*n+j] * (y - ybar)
			}
		}
		theta := solve(a, rhs)
		got, err := f.predict(val.x)
		if err != nil {
			t.Fatal(err)
		}
		xv := f.feat.apply(val.x)
		var worst float64
		for i := range val.x {
			want := ybar
			for j := range n {
				want += theta[j] * xv.F64[i*n+j]
			}
			worst = max(worst, math.Abs(got[i]-want))
		}
		if worst > 1e-4 {
			t.Errorf("degree %d λ %g: engine and closed form differ by up to %g", c.degree, c.lambda, worst)
		}
	}
}

// solve returns the solution of a·x = b by Gaussian elimination with partial
// pivoting (a is small and well conditioned here).
func solve(a [][]float64, b []float64) []float64 {
	n := len(b)
	for col := range n {
		p := col
		for r := col + 1; r < n; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p], b[col], b[p] = a[p], a[col], b[p], b[col]
		for r := col + 1; r < n; r++ {
			f := a[r][col] / a[col][col]
			for k := col; k < n; k++ {
				a[r][k] -= f * a[col][k]
			}
			b[r] -= f * b[col]
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		x[r] = b[r]
		for k := r + 1; k < n; k++ {
			x[r] -= a[r][k] * x[k]
		}
		x[r] /= a[r][r]
	}
	return x
}

func TestSweepCapacity(t *testing.T) {
	dir := runSweep(t, "capacity", "-subset", "100", "-val", "100", "-epochs", "1", "-capacities", "1,2")
	runs := readLines[capacityRun](t, dir, 2)
	checkPNGs(t, dir, "capacity.png")
	if runs[0].Capacity != 1 || runs[1].Capacity != 2 || !(runs[0].Params < runs[1].Params) || len(runs[1].Epochs) != 1 {
		t.Errorf("runs %+v", runs)
	}
}

func TestSweepRegularization(t *testing.T) {
	dir := runSweep(t, "regularization", "-subset", "100", "-val", "100", "-epochs", "1", "-depth", "1", "-width", "16",
		"-l2", "1e-3", "-l1", "1e-4", "-elastic", "1e-3", "-dropout", "0.5")
	runs := readLines[regularizationRun](t, dir, 5)
	checkPNGs(t, dir, "regularization.png")
	want := []regularizationRun{{Method: "none"}, {Method: "l2", L2: 1e-3}, {Method: "l1", L1: 1e-4}, {Method: "elastic", L2: 1e-3, L1: 1e-4}, {Method: "dropout", Dropout: 0.5}}
	for i, r := range runs {
		w := want[i]
		if r.Method != w.Method || r.L1 != w.L1 || r.L2 != w.L2 || r.Dropout != w.Dropout || r.Gap != r.ValError-r.TrainError {
			t.Errorf("run %d: %+v", i, r)
		}
	}
}

func TestSweepAugment(t *testing.T) {
	dir := runSweep(t, "augment", "-subset", "100", "-val", "100", "-epochs", "2", "-filters", "2,4", "-hidden", "8", "-augment", "translate=2")
	runs := readLines[augmentRun](t, dir, 2)
	checkPNGs(t, dir, "augment.png")
	if runs[0].Augment != "" || runs[1].Augment != "translate=2" || len(runs[1].Epochs) != 2 || math.IsNaN(float64(runs[1].Epochs[1].ValAcc)) {
		t.Errorf("runs %+v", runs)
	}
}

// TestSweepInit also checks the vanishing gradient: a deep sigmoid network
// started from tiny weights gets orders of magnitude less gradient in its
// first layer than one started with Xavier's.
func TestSweepInit(t *testing.T) {
	dir := runSweep(t, "init", "-subset", "200", "-val", "100", "-depth", "6", "-width", "32", "-steps", "3", "-grad-steps", "2", "-activations", "sigmoid")
	runs := readLines[initRun](t, dir, len(settings("sigmoid")))
	checkPNGs(t, dir, "init.png")
	fc1 := map[string]float64{}
	for _, r := range runs {
		if len(r.GradNorms) != 7 || len(r.Loss) != 3 {
			t.Errorf("%s: %d gradient norms, %d losses", r.Name, len(r.GradNorms), len(r.Loss))
		}
		fc1[r.Name] = float64(r.GradNorms[0])
	}
	if !(fc1["N(0,0.01²)"] < 1e-3*fc1["Xavier"]) {
		t.Errorf("‖∂L/∂W‖ of fc1: tiny init %g, Xavier %g; want orders of magnitude apart", fc1["N(0,0.01²)"], fc1["Xavier"])
	}
}

func TestSweepOptimizers(t *testing.T) {
	dir := runSweep(t, "optimizers", "-subset", "200", "-val", "100", "-steps", "4", "-width", "16", "-depth", "1")
	runs := readLines[optimizerRun](t, dir, 16)
	checkPNGs(t, dir, "optimizers.png")
	for _, r := range runs {
		if len(r.Loss) != 4 || len(r.Seconds) != 4 || r.Diverged != 0 {
			t.Errorf("%s %s: %d losses, %d times, diverged %d", r.Name, r.Schedule, len(r.Loss), len(r.Seconds), r.Diverged)
		}
	}
}

// TestSweepBadInput: every bad input gets an error naming its cause, before
// any training.
func TestSweepBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sweep"}, "name the experiment"},
		{[]string{"sweep", "hyperband"}, "hyperband"},
		{[]string{"sweep", "poly", "-nonsense"}, "nonsense"},
		{[]string{"sweep", "poly", "-degrees", "1,4"}, "-degrees"},
		{[]string{"sweep", "poly", "-lambdas", "0,1"}, "-lambdas"},
		{[]string{"sweep", "poly", "-basis", "fourier"}, "fourier"},
		{[]string{"sweep", "capacity", "-model", "vgg"}, "vgg"},
		{[]string{"sweep", "capacity", "-capacities", "4,x"}, "-capacities"},
		{[]string{"sweep", "regularization", "-label-noise", "2"}, "-label-noise"},
		{[]string{"sweep", "init", "-activations", "swish"}, "swish"},
		{[]string{"sweep", "optimizers", "-optimizers", "sgd=fast"}, "sgd=fast"},
		{[]string{"sweep", "optimizers", "-optimizers", "lbfgs=1"}, "lbfgs"},
		{[]string{"sweep", "transfer", "-model", "mobilenet_v2"}, "-model"},
		{[]string{"sweep", "transfer", "-lr-frozen", "0"}, "-lr-frozen"},
		{[]string{"sweep", "transfer", "-finetune", "0"}, "-finetune"},
	}
	for _, c := range cases {
		args := append(c.args[:len(c.args):len(c.args)], "-out", t.TempDir())
		if len(c.args) == 1 {
			args = c.args
		}
		err := Command(args[1:])
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %s: error %v, want one naming %q", strings.Join(c.args, " "), err, c.want)
		}
	}
}

// TestNoisyLabels: exactly round(frac·N) labels change, each to another
// class, and the original dataset is left alone.
func TestNoisyLabels(t *testing.T) {
	ds := &data.Dataset{Classes: data.MNISTClasses, Images: make([]data.Image, 1000), Labels: make([]int, 1000)}
	for i := range ds.Labels {
		ds.Labels[i] = i % 10
	}
	noisy := noisyLabels(ds, 0.25, 7)
	changed := 0
	for i, l := range noisy.Labels {
		if ds.Labels[i] != i%10 {
			t.Fatal("the original labels changed")
		}
		if l < 0 || l > 9 {
			t.Fatalf("label %d", l)
		}
		if l != ds.Labels[i] {
			changed++
		}
	}
	if changed != 250 {
		t.Errorf("%d labels changed, want 250", changed)
	}
}

// TestSweepRecipes: the recipes sweep runs the baseline, each item and all
// together, measures train, validation and test error with the gap as test −
// train, and the EMA run is measured with its averaged weights (unlike the
// baseline's, which it otherwise equals).
func TestSweepRecipes(t *testing.T) {
	dir := runSweep(t, "recipes", "-subset", "200", "-val", "100", "-test", "100", "-epochs", "2", "-filters", "4,8", "-hidden", "16")
	runs := readLines[recipeRun](t, dir, 8)
	checkPNGs(t, dir, "recipes.png")
	want := []string{"baseline", "label smoothing", "mixup", "cutmix", "EMA", "RandAugment", "one-cycle", "all together"}
	for i, rr := range runs {
		if rr.Recipe != want[i] || len(rr.Epochs) != 2 || math.Abs(rr.Gap-(rr.TestError-rr.TrainError)) > 1e-12 {
			t.Errorf("run %d: %+v", i, rr)
		}
		for _, e := range []float64{rr.TrainError, rr.ValError, rr.TestError} {
			if !(e >= 0 && e <= 1) {
				t.Errorf("%s: error %v is not a rate", rr.Recipe, e)
			}
		}
	}
	if base, ema := runs[0], runs[4]; base.ValLoss == ema.ValLoss {
		t.Errorf("the EMA run's validation loss %v equals the baseline's: not measured with the averaged weights", ema.ValLoss)
	}
}

// TestSweepTransfer: the pretrained model is saved, and with the seed fixed
// the fine-tuned network starts far ahead of the one trained from scratch.
func TestSweepTransfer(t *testing.T) {
	dir := runSweep(t, "transfer", "-width", "4", "-pretrain", "1000", "-pretrain-epochs", "1", "-finetune", "100", "-epochs", "2", "-test", "300")
	runs := readLines[transferRun](t, dir, 4)
	checkPNGs(t, dir, "transfer.png")
	for i, want := range []string{"pretrain", "frozen backbone", "full fine-tuning", "from scratch"} {
		if runs[i].Run != want || len(runs[i].Epochs) != max(1, 2*min(i, 1)) {
			t.Fatalf("run %d: %s with %d epochs", i, runs[i].Run, len(runs[i].Epochs))
		}
	}
	if _, err := weights.ReadFile(filepath.Join(dir, "pretrained.safetensors")); err != nil {
		t.Error(err)
	}
	if tuned, scratch := runs[2].Epochs[0].ValAcc, runs[3].Epochs[0].ValAcc; !(tuned > scratch+0.1) {
		t.Errorf("test accuracy after one epoch: fine-tuned %v, from scratch %v", tuned, scratch)
	}
}

// TestDigitsRGB32: the digits are picked from their range, relabelled from 0,
// and centred on a black 32×32 square in three equal channels.
func TestDigitsRGB32(t *testing.T) {
	ds := &data.Dataset{Classes: data.MNISTClasses}
	for i := range 40 {
		img := data.NewImage(1, 28, 28)
		for j := range img.Pix {
			img.Pix[j] = uint8(1 + i)
		}
		ds.Images, ds.Labels = append(ds.Images, img), append(ds.Labels, i%10)
	}
	got := digitsRGB32(ds, 5, 10, rand.New(rand.NewPCG(1, 2)))
	if got.Len() != 10 || strings.Join(got.Classes, "") != "56789" {
		t.Fatalf("%d images of classes %v", got.Len(), got.Classes)
	}
	for k, img := range got.Images {
		v := img.Pix[2*32+2]
		l := got.Labels[k]
		if int(v-1)%10 != l+5 || img.C != 3 || img.H != 32 || img.W != 32 {
			t.Fatalf("image %d: label %d, pixel %d, shape %d×%d×%d", k, l, v, img.C, img.H, img.W)
		}
		for c := range 3 {
			p := img.Plane(c)
			if p[0] != 0 || p[31*32+31] != 0 || p[2*32+2] != v || p[29*32+29] != v || p[30*32+30] != 0 {
				t.Fatalf("image %d channel %d: border or digit misplaced", k, c)
			}
		}
	}
}
