package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/graph"
)

// WriteTable prints results as an aligned table.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "model\toptimizer\tnormalization\tdevice\tbatch\timages/s\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.0f\t\n", r.Model, r.Optimizer, r.Normalization, r.Device, r.Batch, r.ImagesPerSec)
	}
	return tw.Flush()
}

// networkNames describe the benchmark networks in the comparison table.
var networkNames = map[string]string{
	"mlp":    "MLP 784-256-256-10",
	"lenet":  "LeNet (conv5×5 32, pool, conv5×5 64, pool, fc 128, dropout, fc 10)",
	"resnet": "ResNet-8 on 3×32×32",
}

// WriteComparison prints the comparisons as a markdown table, headed by the
// machine, the date and the command that produced it: Descent's median and
// range against those of PyTorch's best configuration per cell, the ratio of
// the medians, and the medians of PyTorch's other configurations.
func WriteComparison(w io.Writer, cmps []Comparison, m Machine, opt Options, command string) error {
	torch := ""
	if len(cmps) > 0 {
		torch = cmps[0].Torch
		if core := cmps[0].BLASCore; core != "" {
			torch += " (OpenBLAS kernels: " + core + ")"
		}
	}
	fmt.Fprintf(w, "Measured %s on %s (%d cores, GOMAXPROCS %d; load average %s at the start), %s, PyTorch %s, with\n`%s`:\n",
		m.Date.Format("2006-01-02 15:04 MST"), m.CPU, m.Cores, m.GOMAXPROCS, m.Load, m.Go, torch, command)
	longer := ""
	if opt.MinRepeat > 0 {
		longer = fmt.Sprintf(" (more where they take Descent under %v)", opt.MinRepeat)
	}
	settle := ""
	if opt.Settle > 0 {
		settle = fmt.Sprintf(", each turn timed after %d untimed steps", opt.Settle)
	}
	fmt.Fprintf(w, "%d rounds of %d training steps%s after %d warm-up steps, Descent and each PyTorch configuration taking turns in every round and running the same steps%s; images/s as median (min–max).\n\n",
		opt.Repeats, opt.Steps, longer, opt.Warmup, settle)
	fmt.Fprintln(w, "| network | optimizer | normalization | batch | steps per repeat | Descent | PyTorch, best configuration | Descent / PyTorch | PyTorch's other configurations (medians) |")
	fmt.Fprintln(w, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, c := range cmps {
		d, best := c.Descent, c.Best()
		bs := Summarize(best.Repeats)
		var others []string
		for _, t := range c.PyTorch {
			if t.Config != best.Config {
				others = append(others, fmt.Sprintf("%s: %s", t.Config, thousands(medianOf(t.Repeats))))
			}
		}
		name := networkNames[d.Model]
		if name == "" {
			name = d.Model
		}
		if c.Groups > 1 {
			others = append(others, fmt.Sprintf("(in %d groups of processes, each taking turns with Descent: not all fit in memory at once)", c.Groups))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %d | %d | %s | %s (%s) | %.2f× | %s |\n", name, d.Optimizer, d.Normalization, d.Batch, d.Steps,
			summaryText(Summarize(d.Repeats)), summaryText(bs), best.Config, c.Ratio(), strings.Join(others, "; "))
	}
	return nil
}

func summaryText(s Summary) string {
	return fmt.Sprintf("%s (%s–%s)", thousands(s.Median), thousands(s.Min), thousands(s.Max))
}

// thousands formats v rounded to an integer with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// WriteJSON writes the documented schema: an array of records, one per cell,
// {model, optimizer, normalization, device, batch, images_per_sec, repeats}.
func WriteJSON(path string, results []Result) error { return writeJSONFile(path, results) }

// WriteComparisonJSON writes the comparisons as an array of records, one per
// cell: {descent: {…as WriteJSON…}, pytorch: [{config, blas_threads_seen,
// repeats}], torch_version, blas_core}.
func WriteComparisonJSON(path string, cmps []Comparison) error { return writeJSONFile(path, cmps) }

func writeJSONFile(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteCSV writes one row per cell with the median images/s.
func WriteCSV(path string, results []Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"model", "optimizer", "normalization", "device", "batch", "images_per_sec"})
	for _, r := range results {
		w.Write([]string{r.Model, r.Optimizer, r.Normalization, r.Device, strconv.Itoa(r.Batch), strconv.FormatFloat(r.ImagesPerSec, 'f', 1, 64)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// WriteBarChart draws images/s per cell as a PNG bar chart.
func WriteBarChart(path string, results []Result) error {
	p := plot.New()
	p.Title.Text = "Training throughput"
	p.Y.Label.Text = "images/s"
	vals := make(plotter.Values, len(results))
	names := make([]string, len(results))
	for i, r := range results {
		vals[i] = r.ImagesPerSec
		names[i] = fmt.Sprintf("%s/%s/%s", r.Model, r.Optimizer, r.Normalization)
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(8))
	if err != nil {
		return err
	}
	p.Add(bars)
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 1.2
	p.X.Tick.Label.XAlign = -1
	width := vg.Points(12*float64(len(results))) + 2*vg.Inch
	return p.Save(width, 5*vg.Inch, path)
}

// WriteProfile prints a per-layer forward/backward timing report with each
// layer's share of the step, and with steps under each layer its kernel
// launches.
func WriteProfile(w io.Writer, prof []graph.LayerTime, steps bool) error {
	var total float64
	for _, l := range prof {
		total += (l.Forward + l.Backward).Seconds()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tforward ms\tbackward ms\tshare\t")
	for _, l := range prof {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.1f%%\t\n", l.Layer, 1e3*l.Forward.Seconds(), 1e3*l.Backward.Seconds(),
			100*(l.Forward+l.Backward).Seconds()/total)
		if !steps {
			continue
		}
		for _, s := range l.Steps {
			column := "%s\t%.3f\t\t%.1f%%\t\n"
			if s.Backward {
				column = "%s\t\t%.3f\t%.1f%%\t\n"
			}
			fmt.Fprintf(tw, column, "  "+s.Name, 1e3*s.Time.Seconds(), 100*s.Time.Seconds()/total)
		}
	}
	fmt.Fprintf(tw, "total\t\t\t%.3f ms\t\n", 1e3*total)
	return tw.Flush()
}
