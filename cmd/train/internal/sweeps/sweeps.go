package sweeps

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/internal/runfolder"
)

// A sweep is one experiment of `train sweep NAME`: it shows a training problem
// (underfitting, overfitting, vanishing gradients, a slow optimizer, …) next to
// its cure. Its flags function registers the sweep's flags and returns the
// function that runs it once they are parsed.
type sweep struct {
	name, about string
	flags       func(fs *flag.FlagSet) func(*sweepOut) error
}

var sweeps = []sweep{
	{"poly", "under- and overfitting of polynomial regression and logistic regression, and ridge as the cure", polyFlags},
	{"capacity", "train and validation error against model capacity on a small MNIST subset", capacityFlags},
	{"regularization", "L2, L1, elastic net and dropout against the generalization gap of a large MLP", regularizationFlags},
	{"augment", "validation error per epoch with and without data augmentation", augmentFlags},
	{"init", "vanishing and exploding gradients of deep MLPs: naive init, Xavier, He, input normalization, batch norm", initFlags},
	{"optimizers", "every optimizer with and without a learning-rate schedule: loss against step and wall time", optimizersFlags},
	{"recipes", "label smoothing, mixup, cutmix, EMA, RandAugment and one-cycle, alone and together, on noisy MNIST", recipesFlags},
	{"transfer", "a ResNet pretrained on the digits 0–4 fine-tuned on 500 images of 5–9: frozen backbone, full fine-tuning, from scratch", transferFlags},
}

func sweepNames() string {
	names := make([]string, len(sweeps))
	for i, s := range sweeps {
		names[i] = s.name
	}
	return strings.Join(names, ", ")
}

// Command runs `train sweep NAME [flags]`; args are what follows "sweep".
func Command(args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Println("Usage: train sweep NAME [flags], NAME one of:")
		for _, s := range sweeps {
			fmt.Printf("  %-15s %s\n", s.name, s.about)
		}
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return fmt.Errorf("sweep: name the experiment (%s)", sweepNames())
	}
	var sw *sweep
	for i := range sweeps {
		if sweeps[i].name == args[0] {
			sw = &sweeps[i]
		}
	}
	if sw == nil {
		return fmt.Errorf("sweep: unknown experiment %q (want %s)", args[0], sweepNames())
	}
	fs := flag.NewFlagSet("sweep "+sw.name, flag.ContinueOnError)
	out := fs.String("out", filepath.Join("sweeps", sw.name), "folder for metrics.jsonl and the plots")
	runSweep := sw.flags(fs)
	if err := recipe.ParseFlags(fs, args[1:]); err != nil {
		return err
	}
	folder, err := runfolder.Lock(*out)
	if err != nil {
		return fmt.Errorf("flag -out %s: %w", *out, err)
	}
	defer folder.Unlock()
	so, err := newSweepOut(*out, os.Stdout)
	if err != nil {
		return err
	}
	start := time.Now()
	err = runSweep(so)
	if cerr := so.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sweep %s: %w", sw.name, err)
	}
	fmt.Fprintf(so.log, "sweep %s done in %.0fs: metrics.jsonl and plots in %s\n", sw.name, time.Since(start).Seconds(), so.dir)
	return nil
}

// sweepOut is where a sweep writes: metrics.jsonl (one JSON object per run,
// written as soon as the run ends), plots, and a log for its tables.
type sweepOut struct {
	dir  string
	log  io.Writer
	file *os.File
	enc  *json.Encoder
}

func newSweepOut(dir string, log io.Writer) (*sweepOut, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("flag -out: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		return nil, fmt.Errorf("flag -out: %w", err)
	}
	return &sweepOut{dir: dir, log: log, file: f, enc: json.NewEncoder(f)}, nil
}

// record appends v as one line of metrics.jsonl.
func (s *sweepOut) record(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return fmt.Errorf("writing %s: %w", s.file.Name(), err)
	}
	return nil
}

func (s *sweepOut) path(name string) string { return filepath.Join(s.dir, name) }

func (s *sweepOut) close() error { return s.file.Close() }

// table prints rows under a header, columns aligned.
func (s *sweepOut) table(title string, header []string, rows [][]string) {
	fmt.Fprintf(s.log, "\n%s\n", title)
	tw := tabwriter.NewWriter(s.log, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	tw.Flush()
}

// percent formats an error rate; NaN (a diverged run) prints as "—".
func percent(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return fmt.Sprintf("%.2f%%", 100*v)
}

// general formats a number briefly; NaN prints as "—".
func general(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// floatList parses a comma-separated list of numbers for flag name.
func floatList(name, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return nil, fmt.Errorf("flag -%s: %q is not a list of finite non-negative numbers", name, s)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("flag -%s: the list is empty", name)
	}
	return out, nil
}

// positiveInts parses a non-empty list of positive integers for flag name.
func positiveInts(name, s string) ([]int, error) {
	v, err := recipe.IntList(name, s)
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("flag -%s: the list is empty", name)
	}
	for _, n := range v {
		if n < 1 {
			return nil, fmt.Errorf("flag -%s: %q is not a list of positive integers", name, s)
		}
	}
	return v, nil
}

// errNotPositive names a flag whose value must be positive.
func errNotPositive(name string, v any) error {
	return fmt.Errorf("flag -%s: %v is not positive", name, v)
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
