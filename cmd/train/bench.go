package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/bench"
	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/layers"
)

func benchCommand(args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	quick := fs.Bool("quick", false, "measure every cell briefly (about two minutes on two CPU cores), MLP and LeNet by default")
	models := fs.String("models", "", "comma-separated models: mlp, lenet, resnet, and torchvision's resnet18, resnet50, mobilenet_v2 at 224×224 (default: mlp,lenet with -quick, else mlp,lenet,resnet)")
	optimizers := fs.String("optimizers", strings.Join(bench.Optimizers, ","), "comma-separated optimizers")
	norms := fs.String("norms", strings.Join(bench.Normalizations, ","), "comma-separated normalizations: none, input, batch")
	device := fs.String("device", "cpu", "cpu or gpu")
	batches := fs.String("batch", "mlp=64,lenet=64,resnet=256,resnet18=32,resnet50=32,mobilenet_v2=32", "batch size per model")
	jsonOut := fs.String("json", "", "write the results as JSON to this file (with -compare: every repeat of both sides)")
	csvOut := fs.String("csv", "", "write the results as CSV to this file")
	pngOut := fs.String("png", "", "draw the results as a bar chart PNG")
	compare := fs.Bool("compare", false, "measure the same cells in PyTorch (each CPU configuration) taking turns with Descent, and print a markdown table against PyTorch's best")
	profile := fs.String("profile", "", "print a per-layer forward/backward timing report for this model instead")
	profileSteps := fs.Bool("profile-steps", false, "with -profile, list every kernel launch under its layer")
	repeats := fs.Int("repeats", 0, "timed repeats per cell (default 5)")
	steps := fs.Int("steps", 0, "training steps per timed repeat, at least (default 30, 10 with -quick)")
	minRepeat := fs.Duration("min-repeat", bench.Full.MinRepeat, "run more steps per repeat where -steps take Descent less than this (PyTorch the same count; not with -quick)")
	tf32 := fs.Bool("tf32", false, "gpu: matrix products in TF32 on tensor cores (PyTorch too, with -compare)")
	loader := fs.Bool("loader", false, "measure the streaming loader instead: decode + RandomResizedCrop(224) + flip + normalize of generated 500×375 JPEGs, images/s for 1, 2, … workers")
	var lb loaderBench
	fs.IntVar(&lb.images, "loader-images", 256, "-loader: JPEGs generated")
	fs.IntVar(&lb.maxWorkers, "loader-workers", 0, "-loader: the most workers measured (0: one per core)")
	fs.IntVar(&lb.epochs, "loader-epochs", 1, "-loader: epochs measured per worker count")
	timeToTarget := fs.Float64("time-to", 0, "train the default recipe until this MNIST test accuracy (percent), evaluating after each epoch, in Descent and in PyTorch; print both training times (evaluation not counted)")
	timeToEpochs := fs.Int("time-to-epochs", 0, "-time-to: the recipe's epochs, which the cosine schedule spans (0: the default recipe's)")
	timeToFlags := fs.String("recipe", "", "-time-to: training flags that change the default recipe, e.g. \"-filters 16,32 -schedule onecycle -max-lr 0.01 -epochs 2\" (PyTorch trains it too when it is LeNet with Adam and a cosine, onecycle or no schedule)")
	if err := recipe.ParseFlags(fs, args); err != nil {
		return err
	}
	if *loader {
		return lb.run(os.Stdout)
	}
	timeToSet := false
	fs.Visit(func(f *flag.Flag) { timeToSet = timeToSet || strings.HasPrefix(f.Name, "time-to") })
	if timeToSet {
		cfg, err := timeToRecipe(*timeToFlags)
		if err != nil {
			return err
		}
		tt := timeTo{target: *timeToTarget, cfg: cfg, flags: strings.Join(strings.Fields(*timeToFlags), " "),
			script: timeToScript(), torch: timeToTorchConfigs()}
		if *timeToEpochs < 0 || *timeToEpochs > maxTimeToEpochs {
			return fmt.Errorf("flag -time-to-epochs: %d is not in [0, %d]", *timeToEpochs, maxTimeToEpochs)
		}
		if *timeToEpochs > 0 {
			tt.cfg.Epochs = *timeToEpochs
		}
		return tt.run(os.Stdout)
	}
	batch := map[string]int{}
	for _, kv := range strings.Split(*batches, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || n > recipe.MaxBatch {
			return fmt.Errorf("flag -batch: %q is not model=size", kv)
		}
		batch[k] = n
	}
	backendFor := func(m *graph.Model) (graph.Backend, error) {
		b, err := recipe.NewBackend(*device, m)
		if err != nil {
			return nil, fmt.Errorf("flag -device %s: %w", *device, err)
		}
		if *tf32 {
			if err := recipe.EnableTF32(b); err != nil {
				return nil, fmt.Errorf("flag -tf32: %w", err)
			}
		}
		return b, nil
	}
	if *profile != "" {
		return profileModel(*profile, batch[*profile], !slices.Contains([]string{"none", "input"}, *norms), *profileSteps, backendFor)
	}
	ms := *models
	if ms == "" {
		ms = "mlp,lenet,resnet"
		if *quick {
			ms = "mlp,lenet"
		}
	}
	opt := bench.Full
	if *quick {
		opt = bench.Quick
	}
	axes := []struct {
		flag, list string
		known      []string
	}{{"models", ms, bench.Models}, {"optimizers", *optimizers, bench.Optimizers}, {"norms", *norms, bench.Normalizations}}
	for _, a := range axes {
		if err := knownNames(a.flag, a.list, a.known); err != nil {
			return err
		}
	}
	for _, m := range strings.Split(ms, ",") {
		if batch[m] == 0 {
			return fmt.Errorf("flag -batch: %q gives no batch size for model %s", *batches, m)
		}
	}
	if *repeats < 0 || *steps < 0 {
		return fmt.Errorf("flags -repeats and -steps must not be negative")
	}
	if *repeats > 0 {
		opt.Repeats = *repeats
	}
	if *steps > 0 {
		opt.Steps = *steps
	}
	if *minRepeat < 0 {
		return fmt.Errorf("flag -min-repeat: %v is negative", *minRepeat)
	}
	if !*quick {
		opt.MinRepeat = *minRepeat
	}
	cells := bench.Matrix(strings.Split(ms, ","), strings.Split(*optimizers, ","), strings.Split(*norms, ","), *device, batch)
	for i := range cells {
		cells[i].TF32 = *tf32
	}
	if *compare {
		// Descent and PyTorch take turns repeat by repeat, so that both see the
		// same machine state.
		cmd := "train bench " + strings.Join(args, " ")
		m := bench.ThisMachine()
		var cmps []bench.Comparison
		for _, c := range cells {
			r, err := bench.Compare(c, backendFor, opt, bench.CPUTorchConfigs(), bench.PyTorchScript())
			if err != nil {
				return fmt.Errorf("cell %s/%s/%s: %w", c.Model, c.Optimizer, c.Normalization, err)
			}
			cmps = append(cmps, r)
			fmt.Fprintf(os.Stderr, "%-7s %-9s %-6s %8.0f images/s   pytorch best %8.0f images/s (%s)\n",
				c.Model, c.Optimizer, c.Normalization, r.Descent.ImagesPerSec, bench.Summarize(r.Best().Repeats).Median, r.Best().Config)
		}
		if err := bench.WriteComparison(os.Stdout, cmps, m, opt, cmd); err != nil {
			return err
		}
		if *jsonOut != "" {
			if err := bench.WriteComparisonJSON(*jsonOut, cmps); err != nil {
				return err
			}
		}
		results := make([]bench.Result, len(cmps))
		for i, c := range cmps {
			results[i] = c.Descent
		}
		return writeResults(results, "", *csvOut, *pngOut)
	}
	var results []bench.Result
	for _, c := range cells {
		r, err := bench.Measure(c, backendFor, opt)
		if err != nil {
			return fmt.Errorf("cell %s/%s/%s: %w", c.Model, c.Optimizer, c.Normalization, err)
		}
		results = append(results, r)
		fmt.Fprintf(os.Stderr, "%-7s %-9s %-6s %8.0f images/s\n", c.Model, c.Optimizer, c.Normalization, r.ImagesPerSec)
	}
	if err := bench.WriteTable(os.Stdout, results); err != nil {
		return err
	}
	return writeResults(results, *jsonOut, *csvOut, *pngOut)
}

// writeResults writes the Descent results to the files the flags name.
func writeResults(results []bench.Result, jsonOut, csvOut, pngOut string) error {
	for _, w := range []struct {
		path  string
		write func(string, []bench.Result) error
	}{{jsonOut, bench.WriteJSON}, {csvOut, bench.WriteCSV}, {pngOut, bench.WriteBarChart}} {
		if w.path != "" {
			if err := w.write(w.path, results); err != nil {
				return err
			}
		}
	}
	return nil
}

// profileModel prints the per-layer timing of one training step, with batch
// normalization or without, and with steps that of every kernel launch.
func profileModel(model string, batch int, batchNorm, steps bool, backendFor bench.BackendFor) error {
	net, chw, err := bench.Network(model, batchNorm)
	if err != nil {
		return fmt.Errorf("flag -profile: %w", err)
	}
	shape := append([]int{batch}, chw...)
	m, err := layers.Build(net, shape, tensor.Float32, 1)
	if err != nil {
		return err
	}
	x := graph.NewBuffer(tensor.Float32, shape...)
	for i := range x.F32 {
		x.F32[i] = float32(i%255) / 255
	}
	labels := graph.NewBuffer(tensor.Float32, batch)
	for i := range labels.F32 {
		labels.F32[i] = float32(i % 10)
	}
	backend, err := backendFor(m)
	if err != nil {
		return err
	}
	prof, err := graph.Profile(graph.NewMachine(m, backend), x, labels, 10)
	if err != nil {
		return err
	}
	with := "with batch norm"
	if !batchNorm {
		with = "without batch norm"
	}
	fmt.Printf("%s %s, batch %d, %s: median of 10 steps\n", model, with, batch, backend.Name())
	return bench.WriteProfile(os.Stdout, prof, steps)
}

// knownNames checks that every name of a comma-separated flag value is known.
func knownNames(flagName, list string, known []string) error {
	for _, name := range strings.Split(list, ",") {
		if !slices.Contains(known, name) {
			return fmt.Errorf("flag -%s: unknown %q (want a comma-separated list of %s)", flagName, name, strings.Join(known, ", "))
		}
	}
	return nil
}
