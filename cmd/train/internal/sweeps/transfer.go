package sweeps

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/runfolder"
	"github.com/descent-ml/descent/layers/weights"
)

// transferSweep shows transfer learning end to end: a torchvision ResNet of
// reduced width is pretrained on MNIST's digits 0–4 (as 32×32 RGB images) and
// saved as .safetensors; then it is fine-tuned on only a few hundred images
// of the digits 5–9, once with the backbone frozen (only the head trains),
// once entirely, and compared with the same network trained from scratch on
// those images. The features learnt on the first digits carry over: both
// fine-tuned runs beat the run from scratch, most of all in the first epochs.
// Both tasks have five classes, so the whole file loads, head included: the
// head for 0–4 is where the new head starts.
type transferSweep struct {
	dataDir        string
	model          string
	width          int
	pretrain       int
	pretrainEpochs int
	finetune       int
	epochs         int
	test           int
	batch          int
	lr             float64
	lrFrozen       float64
	seed           uint64
	workers        int
	verbose        bool
}

func transferFlags(fs *flag.FlagSet) func(*sweepOut) error {
	s := &transferSweep{model: "resnet18", width: 16, pretrain: 8000, pretrainEpochs: 2, finetune: 500, epochs: 8,
		test: 2000, batch: 50, lr: 2e-3, lrFrozen: 2e-2, seed: 1}
	fs.StringVar(&s.dataDir, "data-dir", s.dataDir, "folder holding the MNIST files (default: the GoMNIST Go module)")
	fs.StringVar(&s.model, "model", s.model, "torchvision ResNet (resnet18 … resnet152)")
	fs.IntVar(&s.width, "width", s.width, "the ResNet's base width (torchvision's 64)")
	fs.IntVar(&s.pretrain, "pretrain", s.pretrain, "pretraining images of the digits 0–4")
	fs.IntVar(&s.pretrainEpochs, "pretrain-epochs", s.pretrainEpochs, "pretraining epochs")
	fs.IntVar(&s.finetune, "finetune", s.finetune, "fine-tuning images of the digits 5–9")
	fs.IntVar(&s.epochs, "epochs", s.epochs, "fine-tuning epochs")
	fs.IntVar(&s.test, "test", s.test, "test images of the digits 5–9 (from MNIST's test set), measured after every epoch")
	fs.IntVar(&s.batch, "batch", s.batch, "batch size")
	fs.Float64Var(&s.lr, "lr", s.lr, "Adam's learning rate, annealed to zero over each run (cosine)")
	fs.Float64Var(&s.lrFrozen, "lr-frozen", s.lrFrozen, "the learning rate of the head when the backbone is frozen (-lr-head)")
	fs.Uint64Var(&s.seed, "seed", s.seed, "seed of the image selection, weights, shuffling")
	fs.IntVar(&s.workers, "workers", s.workers, "goroutines preparing batches (0: one per core)")
	fs.BoolVar(&s.verbose, "v", s.verbose, "print every run's epochs")
	return s.run
}

// transferRun is one line of the sweep's metrics.jsonl.
type transferRun struct {
	Run    string                `json:"run"` // pretrain, frozen backbone, full fine-tuning, from scratch
	Images int                   `json:"images"`
	Epochs []recipe.EpochMetrics `json:"epochs"` // val_* are the test images' figures
}

func (s *transferSweep) check() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"width", s.width}, {"pretrain", s.pretrain}, {"pretrain-epochs", s.pretrainEpochs}, {"finetune", s.finetune},
		{"epochs", s.epochs}, {"test", s.test}, {"batch", s.batch}} {
		if f.v < 1 {
			return errNotPositive(f.name, f.v)
		}
	}
	if !isFinite(s.lr) || s.lr <= 0 {
		return errNotPositive("lr", s.lr)
	}
	if !isFinite(s.lrFrozen) || s.lrFrozen <= 0 {
		return errNotPositive("lr-frozen", s.lrFrozen)
	}
	if s.model == "mobilenet_v2" || !recipe.IsTorchvision(s.model) {
		return fmt.Errorf("flag -model: %q is not one of torchvision's ResNets (resnet18 … resnet152)", s.model)
	}
	return nil
}

// config is every run's configuration: the ResNet, Adam with a cosine
// schedule, no regularization or augmentation.
func (s *transferSweep) config(epochs int) recipe.Config {
	cfg := recipe.DefaultConfig()
	cfg.Model, cfg.Width, cfg.Norm, cfg.Dropout, cfg.InputNorm, cfg.Augment = s.model, s.width, "batch", 0, "standardize", ""
	cfg.Init, cfg.InitMode, cfg.InitNonlin, cfg.InitStd = "default", "fan_in", "", 0
	cfg.Optimizer, cfg.Options, cfg.Schedule, cfg.TMax, cfg.EtaMin, cfg.Warmup = "adam", map[string]float64{"lr": s.lr}, "cosine", 0, 0, 0
	cfg.Batch, cfg.EvalBatch, cfg.Epochs, cfg.Seed, cfg.Workers = strconv.Itoa(s.batch), 1000, epochs, s.seed, s.workers
	cfg.Dataset, cfg.DataDir = "mnist", s.dataDir
	return cfg
}

func (s *transferSweep) run(so *sweepOut) error {
	if err := s.check(); err != nil {
		return err
	}
	dir := s.dataDir
	if dir == "" {
		var err error
		if dir, err = data.FindGoMNIST(); err != nil {
			return err
		}
	}
	train, test, err := data.LoadMNIST(dir)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(s.seed, transferStream))
	first, firstTest := digitsRGB32(train, 0, s.pretrain, rng), digitsRGB32(test, 0, s.test, rng)
	second, secondTest := digitsRGB32(train, 5, s.finetune, rng), digitsRGB32(test, 5, s.test, rng)
	stats, err := data.ComputeStats(first)
	if err != nil {
		return err
	}
	norm, err := data.NewNormalizer(data.NormStandardize, stats)
	if err != nil {
		return err
	}
	task := func(train, test *data.Dataset) *recipe.Dataset {
		return &recipe.Dataset{Splits: data.Splits{Train: train, Val: test, Test: &data.Dataset{Classes: test.Classes}},
			C: 3, H: 32, W: 32, Classes: train.Classes, Normalizer: norm, InputMode: data.NormStandardize, InputStats: stats}
	}
	log := io.Discard
	if s.verbose {
		log = so.log
	}

	pre, err := recipe.SetupWithData(s.config(s.pretrainEpochs), task(first, firstTest), log)
	if err != nil {
		return err
	}
	if _, err := pre.Train(); err != nil {
		return fmt.Errorf("pretraining: %w", err)
	}
	pretrained := so.path("pretrained.safetensors")
	if err := saveWeights(pretrained, pre); err != nil {
		return err
	}
	last := pre.History[len(pre.History)-1]
	fmt.Fprintf(so.log, "pretrained %s (width %d) on %d images of the digits 0–4: test accuracy %s after %d epochs; saved as %s\n",
		s.model, s.width, first.Len(), percent(float64(last.ValAcc)), s.pretrainEpochs, pretrained)
	if err := so.record(transferRun{Run: "pretrain", Images: first.Len(), Epochs: pre.History}); err != nil {
		return err
	}

	runs := []transferRun{{Run: "frozen backbone"}, {Run: "full fine-tuning"}, {Run: "from scratch"}}
	for i := range runs {
		cfg := s.config(s.epochs)
		switch i {
		case 0:
			cfg.Weights, cfg.Freeze, cfg.LRHead = pretrained, "backbone", s.lrFrozen
		case 1:
			cfg.Weights = pretrained
		}
		r, err := recipe.SetupWithData(cfg, task(second, secondTest), log)
		if err != nil {
			return err
		}
		if _, err := r.Train(); err != nil {
			return fmt.Errorf("%s: %w", runs[i].Run, err)
		}
		runs[i].Images, runs[i].Epochs = second.Len(), r.History
		if err := so.record(runs[i]); err != nil {
			return err
		}
	}
	header := []string{"epoch"}
	for _, r := range runs {
		header = append(header, r.Run)
	}
	rows := make([][]string, s.epochs)
	for e := range rows {
		rows[e] = []string{strconv.Itoa(e + 1)}
		for _, r := range runs {
			rows[e] = append(rows[e], percent(float64(r.Epochs[e].ValAcc)))
		}
	}
	so.table(fmt.Sprintf("Test accuracy on %d images of the digits 5–9 after fine-tuning on %d", secondTest.Len(), second.Len()), header, rows)
	return plotTransfer(so.path("transfer.png"), runs)
}

// transferStream ("xfer" in ASCII) is the image selection's random stream of
// the seed.
const transferStream = 0x78666572

// digitsRGB32 picks n random images of the five digits from lo on, labelled
// 0–4 (class names the digits), as 32×32 RGB: the 28×28 grey digit centred
// on a black square, in all three channels.
func digitsRGB32(ds *data.Dataset, lo, n int, rng *rand.Rand) *data.Dataset {
	out := &data.Dataset{}
	for d := lo; d < lo+5; d++ {
		out.Classes = append(out.Classes, ds.Classes[d])
	}
	for _, i := range rng.Perm(ds.Len()) {
		if len(out.Images) == n {
			break
		}
		if l := ds.Labels[i]; l >= lo && l < lo+5 {
			out.Images = append(out.Images, rgb32(ds.Images[i]))
			out.Labels = append(out.Labels, l-lo)
		}
	}
	return out
}

func rgb32(m data.Image) data.Image {
	const size = 32
	out := data.NewImage(3, size, size)
	top, left := (size-m.H)/2, (size-m.W)/2
	for c := range 3 {
		plane := out.Plane(c)
		for y := range m.H {
			copy(plane[(top+y)*size+left:], m.Pix[y*m.W:(y+1)*m.W])
		}
	}
	return out
}

// saveWeights writes the run's model as a torchvision state_dict, atomically
// like the run folder's own model files.
func saveWeights(path string, r *recipe.Run) error {
	st, err := r.Trainer.State()
	if err != nil {
		return err
	}
	err = runfolder.WriteAtomic(path, func(f *os.File) error {
		return weights.WriteSafetensors(f, r.Trainer.Model().Params, int64(st.Iteration))
	})
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// plotTransfer draws the test accuracy of each fine-tuning run per epoch.
func plotTransfer(path string, runs []transferRun) error {
	p := newPanel("Test accuracy on the digits 5–9", "epoch", "accuracy")
	for i, r := range runs {
		xys := make(plotter.XYs, len(r.Epochs))
		for j, m := range r.Epochs {
			xys[j] = plotter.XY{X: float64(m.Epoch), Y: float64(m.ValAcc)}
		}
		if err := addLine(p, r.Run, xys, i, false, true); err != nil {
			return err
		}
	}
	p.Legend.Top, p.Legend.Left = false, false
	return savePanels(path, [][]*plot.Plot{{p}}, 6*vg.Inch, 4*vg.Inch)
}
