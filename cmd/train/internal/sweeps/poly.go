package sweeps

import (
	"context"
	"flag"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
	"github.com/descent-ml/descent/solvers"
	"github.com/descent-ml/descent/trainer"
)

// polySweep is the textbook picture of under- and overfitting, on the engine
// itself: a linear layer on polynomial features, trained full-batch in float64
// with Adam until it has converged (checked against the closed-form ridge
// solution in the tests).
//
// Regression: y = sin(2πx) + noise for x in [0, 1], polynomial features of
// degree 1…n standardized with the training statistics, mean squared error.
// The cost of the textbooks, J = 1/2m·Σ(h(x)−y)² + λ/2m·Σθⱼ² (bias
// excluded), has the same minimizer as the engine's loss mean((h(x)−y)²) plus
// the solvers' ridge penalty ½·l2·Σw² on Weight parameters (not the Bias) when
// l2 = 2λ/m. The features are Legendre polynomials by default rather than the
// textbook's x, x², …, xⁿ (see features): both span the same polynomials, but
// only the Legendre ones let gradient descent reach the overfitting
// least-squares fit of degree 15.
//
// Classification: two classes in [−1, 1]², class 1 with probability
// σ(8·(0.64 − x₁² − x₂²)) (a fuzzy circle), the monomials x₁ⁱx₂ʲ with
// 1 ≤ i+j ≤ n as features, softmax cross-entropy, whose textbook cost
// −1/m·Σ log p + λ/2m·Σθⱼ² maps onto l2 = λ/m. Monomials suit it: once the
// classes separate, the unpenalized cost has no minimum to converge to
// anyway, and ridge on nearly collinear monomials favours smooth boundaries.
type polySweep struct {
	points, valPoints int
	noise             float64
	degrees           string
	lambdas           string
	classPoints       int
	classDegrees      string
	basis, classBasis string
	steps             int
	lr                float64
	seed              uint64
}

func polyFlags(fs *flag.FlagSet) func(*sweepOut) error {
	p := &polySweep{points: 20, valPoints: 500, noise: 0.3, degrees: "1,4,15", lambdas: "1e-6,1e-4,1e-3,0.01,0.1,0.3,1,3,10,100",
		classPoints: 100, classDegrees: "1,2,10", basis: "legendre", classBasis: "monomial", steps: 20000, lr: 0.01, seed: 1}
	fs.IntVar(&p.points, "points", p.points, "regression: training points")
	fs.IntVar(&p.valPoints, "val-points", p.valPoints, "validation points (regression and classification)")
	fs.Float64Var(&p.noise, "noise", p.noise, "regression: standard deviation of the noise on sin(2πx)")
	fs.StringVar(&p.degrees, "degrees", p.degrees, "regression: low, right and high degree; errors are measured for every degree up to the highest")
	fs.StringVar(&p.lambdas, "lambdas", p.lambdas, "ridge λ of the textbook cost (λ/2m·Σθ²), tried on the highest degrees")
	fs.IntVar(&p.classPoints, "class-points", p.classPoints, "classification: training points")
	fs.StringVar(&p.classDegrees, "class-degrees", p.classDegrees, "classification: low, right and high degree")
	fs.StringVar(&p.basis, "basis", p.basis, "regression features: legendre (Legendre polynomials, well conditioned) or monomial (x, x², …, as in textbooks; gradient descent cannot get near their least-squares fit)")
	fs.StringVar(&p.classBasis, "class-basis", p.classBasis, "classification features: monomial (x₁ⁱx₂ʲ) or legendre (Pᵢ(x₁)Pⱼ(x₂))")
	fs.IntVar(&p.steps, "steps", p.steps, "full-batch Adam steps per fit (learning rate cosine-annealed to 0)")
	fs.Float64Var(&p.lr, "lr", p.lr, "Adam's initial learning rate")
	fs.Uint64Var(&p.seed, "seed", p.seed, "seed of the data and the weights")
	return p.run
}

// samples are inputs (one or two coordinates each) with targets: values for
// regression, classes 0 and 1 for classification.
type samples struct {
	x [][]float64
	y []float64
}

// regressionData draws n noisy samples of truth; spread spaces them out
// like the textbook's evenly spaced points: one in the middle half of each
// of n equal intervals of [0, 1]. Unspread samples are uniform on [0, 1].
func (p *polySweep) regressionData(n int, spread bool, rng *rand.Rand) samples {
	s := samples{x: make([][]float64, n), y: make([]float64, n)}
	for i := range n {
		x := rng.Float64()
		if spread {
			x = (float64(i) + 0.25 + 0.5*x) / float64(n)
		}
		s.x[i], s.y[i] = []float64{x}, truth(x)+p.noise*rng.NormFloat64()
	}
	return s
}

// truth is the regression's noiseless function.
func truth(x float64) float64 { return math.Sin(2 * math.Pi * x) }

// classProb is the probability of class 1 at (x₁, x₂).
func classProb(x1, x2 float64) float64 {
	return 1 / (1 + math.Exp(-8*(0.64-x1*x1-x2*x2)))
}

func classificationData(n int, rng *rand.Rand) samples {
	s := samples{x: make([][]float64, n), y: make([]float64, n)}
	for i := range n {
		x1, x2 := 2*rng.Float64()-1, 2*rng.Float64()-1
		s.x[i] = []float64{x1, x2}
		if rng.Float64() < classProb(x1, x2) {
			s.y[i] = 1
		}
	}
	return s
}

// features maps inputs to the polynomials of degree 1…n in them,
// standardized with the mean and standard deviation of the training set.
// Each feature is a product of one polynomial per input coordinate: the
// monomials xⁱ (the textbook's features), or the Legendre polynomials Pᵢ of
// the coordinate mapped onto [−1, 1]. Both span the same functions, so the
// unpenalized least-squares fits agree; but the monomials are so nearly
// collinear (x¹⁴ and x¹⁵ differ little on [0, 1]) that their Gram matrix has
// a condition number near 1e16, far out of reach of gradient descent, while
// Legendre polynomials on well-spread points keep it within a few thousand.
type features struct {
	legendre  bool
	lo, hi    float64 // the interval each coordinate lives in
	exps      [][]int // the degree of each coordinate's polynomial, per feature
	mean, std []float64
}

func newFeatures(train [][]float64, degree int, legendre bool, lo, hi float64) features {
	f := features{legendre: legendre, lo: lo, hi: hi}
	k := len(train[0])
	for d := 1; d <= degree; d++ {
		if k == 1 {
			f.exps = append(f.exps, []int{d})
			continue
		}
		for i := d; i >= 0; i-- {
			f.exps = append(f.exps, []int{i, d - i})
		}
	}
	f.mean, f.std = make([]float64, len(f.exps)), make([]float64, len(f.exps))
	raw := f.raw(train)
	m := float64(len(train))
	for j := range f.exps {
		for i := range train {
			f.mean[j] += raw[i][j] / m
		}
		for i := range train {
			f.std[j] += (raw[i][j] - f.mean[j]) * (raw[i][j] - f.mean[j]) / m
		}
		f.std[j] = math.Sqrt(f.std[j])
	}
	return f
}

// raw returns the unstandardized features of x.
func (f features) raw(x [][]float64) [][]float64 {
	degree := 0
	for _, e := range f.exps {
		degree = max(degree, e[0]+e[len(e)-1])
	}
	out := make([][]float64, len(x))
	polys := make([][]float64, len(x[0])) // polys[c][i]: the degree-i polynomial of coordinate c
	for i, xi := range x {
		for c, v := range xi {
			polys[c] = f.polynomials(polys[c], v, degree)
		}
		out[i] = make([]float64, len(f.exps))
		for j, e := range f.exps {
			v := 1.0
			for c, d := range e {
				v *= polys[c][d]
			}
			out[i][j] = v
		}
	}
	return out
}

// polynomials returns the basis polynomials of degree 0…n at v, reusing
// dst's memory.
func (f features) polynomials(dst []float64, v float64, n int) []float64 {
	dst = dst[:0]
	if !f.legendre {
		p := 1.0
		for range n + 1 {
			dst = append(dst, p)
			p *= v
		}
		return dst
	}
	t := 2*(v-f.lo)/(f.hi-f.lo) - 1
	dst = append(dst, 1, t)
	for k := 1; k < n; k++ { // Bonnet: (k+1)·Pₖ₊₁ = (2k+1)·t·Pₖ − k·Pₖ₋₁
		dst = append(dst, (float64(2*k+1)*t*dst[k]-float64(k)*dst[k-1])/float64(k+1))
	}
	return dst[:n+1]
}

// apply returns the standardized features of x as an N×F buffer.
func (f features) apply(x [][]float64) *graph.Buffer {
	b := graph.NewBuffer(tensor.Float64, len(x), len(f.exps))
	for i, row := range f.raw(x) {
		for j, v := range row {
			b.F64[i*len(f.exps)+j] = (v - f.mean[j]) / f.std[j]
		}
	}
	return b
}

// targets returns y as the model's label buffer: N×1 values for a
// regression, N class indices for a classifier.
func targets(y []float64, classify bool) *graph.Buffer {
	b := graph.NewBuffer(tensor.Float64, len(y), 1)
	if classify {
		b.Shape = []int{len(y)}
	}
	copy(b.F64, y)
	return b
}

// polyFit is one trained model with its errors. For a regression the loss is
// the mean squared error and Error is unused; for a classifier the loss is the
// cross-entropy and Error the misclassification rate.
type polyFit struct {
	Task       string  `json:"task"` // "regression" or "classification"
	Degree     int     `json:"degree"`
	Lambda     float64 `json:"lambda"` // the textbook λ
	L2         float64 `json:"l2"`     // the solvers' l2 it maps onto
	TrainLoss  float64 `json:"train_loss"`
	ValLoss    float64 `json:"val_loss"`
	TrainError float64 `json:"train_error,omitempty"`
	ValError   float64 `json:"val_error,omitempty"`

	feat features
	mc   *graph.Machine
}

// fit trains a linear layer on degree-n features of train with the engine
// and measures it on train and val.
func (p *polySweep) fit(train, val samples, degree int, classify bool, lambda float64) (*polyFit, error) {
	lo, basis := 0.0, p.basis
	if classify {
		lo, basis = -1, p.classBasis
	}
	f := &polyFit{Task: "regression", Degree: degree, Lambda: lambda, feat: newFeatures(train.x, degree, basis == "legendre", lo, 1)}
	m := float64(len(train.x))
	f.L2 = 2 * lambda / m
	build, out := layers.BuildRegression, 1
	if classify {
		f.Task, f.L2, build, out = "classification", lambda/m, layers.Build, 2
	}
	x := f.feat.apply(train.x)
	model, err := build(layers.Linear{Name: "fc", In: len(f.feat.exps), Out: out}, x.Shape, tensor.Float64, p.seed)
	if err != nil {
		return nil, err
	}
	opt, err := solvers.New("adam", map[string]any{"lr": p.lr, "l2": f.L2})
	if err != nil {
		return nil, recipe.OptionError(err)
	}
	if err := opt.AddGroup(model.Params, nil); err != nil {
		return nil, err
	}
	sched, err := solvers.NewCosineAnnealingLR(opt, p.steps, 0)
	if err != nil {
		return nil, err
	}
	batch := trainer.Batch{X: x}
	if classify {
		batch.Labels = make([]int, len(train.y))
		for i, c := range train.y {
			batch.Labels[i] = int(c)
		}
	} else {
		batch.Targets = targets(train.y, false)
	}
	// Full-batch gradient descent: every epoch is the one batch.
	t, err := trainer.New(trainer.Config{Model: model, Optimizer: opt, Schedule: sched, SchedulePerStep: true, Train: trainer.FullBatch(batch)})
	if err != nil {
		return nil, err
	}
	if err := t.Fit(context.Background(), p.steps); err != nil {
		return nil, err
	}
	f.mc = t.Machine()
	if f.TrainLoss, f.TrainError, err = f.measure(train); err != nil {
		return nil, err
	}
	f.ValLoss, f.ValError, err = f.measure(val)
	return f, err
}

// measure returns the loss and, for a classifier, the error rate on s.
func (f *polyFit) measure(s samples) (loss, errRate float64, err error) {
	loss, correct, _, err := f.mc.Evaluate(f.feat.apply(s.x), targets(s.y, f.Task == "classification"))
	if f.Task == "classification" {
		errRate = 1 - float64(correct)/float64(len(s.x))
	}
	return loss, errRate, err
}

// predict returns the regression's output, or the probability of class 1,
// at every input of x.
func (f *polyFit) predict(x [][]float64) ([]float64, error) {
	classify := f.Task == "classification"
	_, _, logits, err := f.mc.Evaluate(f.feat.apply(x), targets(make([]float64, len(x)), classify))
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(x))
	for i := range out {
		if classify {
			out[i] = 1 / (1 + math.Exp(logits.At(2*i)-logits.At(2*i+1)))
		} else {
			out[i] = logits.At(i)
		}
	}
	return out, nil
}

// criterion is what picks the best fit: validation error for a classifier
// (ties broken by loss), validation loss for a regression.
func (f *polyFit) criterion() [2]float64 {
	if f.Task == "classification" {
		return [2]float64{f.ValError, f.ValLoss}
	}
	return [2]float64{f.ValLoss, 0}
}

func better(a, b *polyFit) bool {
	ca, cb := a.criterion(), b.criterion()
	return ca[0] < cb[0] || ca[0] == cb[0] && ca[1] < cb[1]
}

// polyTask is one half of the sweep: the fits of every degree without
// penalty, and of the highest degree with every λ.
type polyTask struct {
	name       string
	classify   bool
	train, val samples
	shown      []int      // low, right and high degree
	byDegree   []*polyFit // degrees 1 … highest, λ = 0
	byLambda   []*polyFit // highest degree, each λ
	best       int        // index into byLambda of the best λ
}

func (p *polySweep) check() (reg, cls []int, lambdas []float64, err error) {
	if reg, err = positiveInts("degrees", p.degrees); err != nil {
		return
	}
	if cls, err = positiveInts("class-degrees", p.classDegrees); err != nil {
		return
	}
	if len(reg) != 3 || len(cls) != 3 {
		return nil, nil, nil, fmt.Errorf("flags -degrees and -class-degrees: give three degrees each (low, right, high)")
	}
	if lambdas, err = floatList("lambdas", p.lambdas); err != nil {
		return
	}
	for _, l := range lambdas {
		if l == 0 {
			return nil, nil, nil, fmt.Errorf("flag -lambdas: λ = 0 is the unregularized fit, already made; give positive values")
		}
	}
	switch {
	case p.basis != "legendre" && p.basis != "monomial":
		err = fmt.Errorf("flag -basis: unknown %q (want legendre or monomial)", p.basis)
	case p.classBasis != "legendre" && p.classBasis != "monomial":
		err = fmt.Errorf("flag -class-basis: unknown %q (want monomial or legendre)", p.classBasis)
	case p.points < 2:
		err = fmt.Errorf("flag -points: %d, need at least 2", p.points)
	case p.classPoints < 2:
		err = fmt.Errorf("flag -class-points: %d, need at least 2", p.classPoints)
	case p.valPoints < 1:
		err = errNotPositive("val-points", p.valPoints)
	case p.steps < 1:
		err = errNotPositive("steps", p.steps)
	case !(p.lr > 0) || math.IsInf(p.lr, 0):
		err = errNotPositive("lr", p.lr)
	case !(p.noise >= 0) || math.IsInf(p.noise, 0):
		err = fmt.Errorf("flag -noise: %g is not a finite non-negative number", p.noise)
	}
	return
}

// polyStreams ("poly" in ASCII) is the first of the data sets' random streams
// of the seed.
const polyStreams = 0x706f6c79

func (p *polySweep) run(so *sweepOut) error {
	regDegrees, clsDegrees, lambdas, err := p.check()
	if err != nil {
		return err
	}
	// Each set has its own stream, so that changing one set's size leaves the
	// others as they were.
	stream := func(i uint64) *rand.Rand { return rand.New(rand.NewPCG(p.seed, polyStreams+i)) }
	tasks := []*polyTask{
		{name: "regression", train: p.regressionData(p.points, true, stream(0)), val: p.regressionData(p.valPoints, false, stream(1)), shown: regDegrees},
		{name: "classification", classify: true, train: classificationData(p.classPoints, stream(2)), val: classificationData(p.valPoints, stream(3)), shown: clsDegrees},
	}
	for _, t := range tasks {
		if err := p.runTask(t, lambdas, so); err != nil {
			return err
		}
	}
	if err := p.plotRegression(tasks[0], so.path("poly_fit.png")); err != nil {
		return err
	}
	if err := p.plotBoundaries(tasks[1], so.path("logistic_boundary.png")); err != nil {
		return err
	}
	return plotPolyErrors(tasks, so.path("poly_error.png"))
}

// runTask fits every degree and every λ of t, records and prints them.
func (p *polySweep) runTask(t *polyTask, lambdas []float64, so *sweepOut) error {
	high := t.shown[len(t.shown)-1]
	for _, d := range t.shown {
		high = max(high, d)
	}
	for d := 1; d <= high; d++ {
		f, err := p.fit(t.train, t.val, d, t.classify, 0)
		if err != nil {
			return err
		}
		t.byDegree = append(t.byDegree, f)
	}
	for i, l := range lambdas {
		f, err := p.fit(t.train, t.val, high, t.classify, l)
		if err != nil {
			return err
		}
		t.byLambda = append(t.byLambda, f)
		if better(f, t.byLambda[t.best]) {
			t.best = i
		}
	}
	var rows [][]string
	row := func(label string, f *polyFit) {
		if t.classify {
			rows = append(rows, []string{label, fmt.Sprint(f.Degree), general(f.Lambda), percent(f.TrainError), percent(f.ValError), general(f.TrainLoss), general(f.ValLoss)})
		} else {
			rows = append(rows, []string{label, fmt.Sprint(f.Degree), general(f.Lambda), general(f.TrainLoss), general(f.ValLoss)})
		}
	}
	for i, d := range t.shown {
		row([]string{"low", "right", "high"}[i], t.byDegree[d-1])
	}
	for i, f := range t.byLambda {
		label := ""
		switch i {
		case 0:
			label = "λ small"
		case t.best:
			label = "λ best"
		case len(t.byLambda) - 1:
			label = "λ large"
		}
		row(label, f)
	}
	for _, f := range append(t.byDegree, t.byLambda...) {
		if err := so.record(f); err != nil {
			return err
		}
	}
	header := []string{"", "degree", "λ", "train MSE", "val MSE"}
	if t.classify {
		header = []string{"", "degree", "λ", "train err", "val err", "train CE", "val CE"}
	}
	so.table(fmt.Sprintf("%s: %d training, %d validation points", t.name, len(t.train.x), len(t.val.x)), header, rows)
	return nil
}

// lambdaPanels returns the fits shown in the λ row: small, best, large.
func (t *polyTask) lambdaPanels() []*polyFit {
	return []*polyFit{t.byLambda[0], t.byLambda[t.best], t.byLambda[len(t.byLambda)-1]}
}

// maxShownVal is the number of validation points drawn under the fitted
// curves.
const maxShownVal = 100

// plotRegression draws the fitted curves over the training and validation
// points: the three degrees without penalty, then the highest with small,
// best and large λ.
func (p *polySweep) plotRegression(t *polyTask, path string) error {
	xs := linspace(0, 1, 300)
	in := make([][]float64, len(xs))
	for i, x := range xs {
		in[i] = []float64{x}
	}
	var fits []*polyFit
	for _, d := range t.shown {
		fits = append(fits, t.byDegree[d-1])
	}
	fits = append(fits, t.lambdaPanels()...)
	// A sample of the validation points is enough to see the curve's fit, and
	// keeps the PNG small.
	shownVal, valLabel := samplePoints(t.val, -1), "validation"
	if len(shownVal) > maxShownVal {
		valLabel = fmt.Sprintf("validation (%d of %d)", maxShownVal, len(shownVal))
		shownVal = shownVal[:maxShownVal]
	}
	panels := [][]*plot.Plot{make([]*plot.Plot, 3), make([]*plot.Plot, 3)}
	for k, f := range fits {
		title := fmt.Sprintf("degree %d", f.Degree)
		if k >= 3 {
			title += fmt.Sprintf(", λ = %s", general(f.Lambda))
		}
		pl := newPanel(fmt.Sprintf("%s: MSE train %.3f, val %.3f", title, f.TrainLoss, f.ValLoss), "x", "y")
		ys, err := f.predict(in)
		if err != nil {
			return err
		}
		truthXY, fitXY := make(plotter.XYs, len(xs)), make(plotter.XYs, len(xs))
		for i, x := range xs {
			truthXY[i] = plotter.XY{X: x, Y: truth(x)}
			fitXY[i] = plotter.XY{X: x, Y: ys[i]}
		}
		if err := addPoints(pl, valLabel, shownVal, color.Gray{Y: 170}, draw.RingGlyph{}, vg.Points(2)); err != nil {
			return err
		}
		if err := addPoints(pl, "train", samplePoints(t.train, -1), plotutil.Color(1), draw.CircleGlyph{}, vg.Points(3)); err != nil {
			return err
		}
		if err := addLine(pl, "sin(2πx)", truthXY, 2, true, false); err != nil {
			return err
		}
		if err := addLine(pl, "fit", fitXY, 0, false, false); err != nil {
			return err
		}
		pl.Y.Min, pl.Y.Max, pl.X.Min, pl.X.Max = -2, 2, 0, 1 // after the data: clip the overfit curve's swings
		pl.Legend.Left = true
		pl.Legend.Top = false
		panels[k/3][k%3] = pl
	}
	return savePanels(path, panels, 15*vg.Inch, 8*vg.Inch)
}

// samplePoints returns the regression samples as points, or the classification
// samples of one class (class ≥ 0) as points in the plane.
func samplePoints(s samples, class int) plotter.XYs {
	var out plotter.XYs
	for i, x := range s.x {
		switch {
		case class < 0:
			out = append(out, plotter.XY{X: x[0], Y: s.y[i]})
		case int(s.y[i]) == class:
			out = append(out, plotter.XY{X: x[0], Y: x[1]})
		}
	}
	return out
}

// plotBoundaries draws each classifier's decision regions (p of class 1
// above or below ½, shaded), its decision boundary and the training points.
func (p *polySweep) plotBoundaries(t *polyTask, path string) error {
	const n = 80
	xs := linspace(-1, 1, n)
	in := make([][]float64, 0, n*n)
	for _, x := range xs {
		for _, y := range xs {
			in = append(in, []float64{x, y})
		}
	}
	var fits []*polyFit
	for _, d := range t.shown {
		fits = append(fits, t.byDegree[d-1])
	}
	fits = append(fits, t.lambdaPanels()...)
	panels := [][]*plot.Plot{make([]*plot.Plot, 3), make([]*plot.Plot, 3)}
	for k, f := range fits {
		title := fmt.Sprintf("degree %d", f.Degree)
		if k >= 3 {
			title += fmt.Sprintf(", λ = %s", general(f.Lambda))
		}
		pl := newPanel(fmt.Sprintf("%s: error train %s, val %s", title, percent(f.TrainError), percent(f.ValError)), "x₁", "x₂")
		probs, err := f.predict(in)
		if err != nil {
			return err
		}
		g := probGrid{xs: xs, ys: xs, z: make([][]float64, n)}
		for c := range n {
			g.z[c] = probs[c*n : (c+1)*n]
		}
		heat := plotter.NewHeatMap(g, twoTone(2))
		heat.Rasterized = true
		pl.Add(heat)
		cont := plotter.NewContour(g, []float64{0.5}, nil)
		boundary := draw.LineStyle{Color: color.Black, Width: vg.Points(1.5)}
		cont.LineStyles = []draw.LineStyle{boundary}
		pl.Legend.Add("p = ½", &plotter.Line{LineStyle: boundary})
		pl.Add(cont)
		if err := addPoints(pl, "class 0", samplePoints(t.train, 0), color.RGBA{B: 200, A: 255}, draw.CircleGlyph{}, vg.Points(2.5)); err != nil {
			return err
		}
		if err := addPoints(pl, "class 1", samplePoints(t.train, 1), color.RGBA{R: 200, A: 255}, draw.TriangleGlyph{}, vg.Points(3)); err != nil {
			return err
		}
		pl.X.Min, pl.X.Max, pl.Y.Min, pl.Y.Max = -1, 1, -1, 1
		panels[k/3][k%3] = pl
	}
	return savePanels(path, panels, 15*vg.Inch, 9*vg.Inch)
}

// plotPolyErrors draws, for each task, training and validation loss against
// degree and against λ.
func plotPolyErrors(tasks []*polyTask, path string) error {
	panels := make([][]*plot.Plot, len(tasks))
	for r, t := range tasks {
		measure, y := func(f *polyFit) (float64, float64) { return f.TrainLoss, f.ValLoss }, "mean squared error"
		if t.classify {
			measure, y = func(f *polyFit) (float64, float64) { return f.TrainError, f.ValError }, "error rate"
		}
		byDeg := newPanel(t.name+": against degree (λ = 0)", "degree", y)
		byLam := newPanel(fmt.Sprintf("%s: degree %d against λ", t.name, t.byLambda[0].Degree), "λ", y)
		logX(byLam)
		if !t.classify {
			logY(byDeg)
			logY(byLam)
		}
		for _, c := range []struct {
			pl   *plot.Plot
			fits []*polyFit
			x    func(*polyFit) float64
		}{{byDeg, t.byDegree, func(f *polyFit) float64 { return float64(f.Degree) }}, {byLam, t.byLambda, func(f *polyFit) float64 { return f.Lambda }}} {
			train, val := make(plotter.XYs, len(c.fits)), make(plotter.XYs, len(c.fits))
			for i, f := range c.fits {
				tr, va := measure(f)
				train[i], val[i] = plotter.XY{X: c.x(f), Y: tr}, plotter.XY{X: c.x(f), Y: va}
			}
			if err := addLine(c.pl, "train", train, 0, false, true); err != nil {
				return err
			}
			if err := addLine(c.pl, "validation", val, 1, false, true); err != nil {
				return err
			}
		}
		best := t.byLambda[t.best]
		_, v := measure(best)
		if err := markBest(byLam, "best λ", plotter.XY{X: best.Lambda, Y: v}); err != nil {
			return err
		}
		panels[r] = []*plot.Plot{byDeg, byLam}
	}
	return savePanels(path, panels, 11*vg.Inch, 8*vg.Inch)
}
