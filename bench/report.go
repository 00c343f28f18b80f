package bench

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-ml/descent/graph"
)

// Comparison pairs a Descent cell with the same cell in PyTorch.
type Comparison struct {
	Descent, PyTorch Result
}

// Ratio is Descent's images/s over PyTorch's.
func (c Comparison) Ratio() float64 { return c.Descent.ImagesPerSec / c.PyTorch.ImagesPerSec }

// Pair matches Descent and PyTorch results by cell.
func Pair(descent, torch []Result) []Comparison {
	byCell := map[Cell]Result{}
	for _, r := range torch {
		byCell[r.Cell] = r
	}
	var out []Comparison
	for _, r := range descent {
		if t, ok := byCell[r.Cell]; ok {
			out = append(out, Comparison{Descent: r, PyTorch: t})
		}
	}
	return out
}

// WriteTable prints results as an aligned table, with PyTorch's figure and the
// ratio where a comparison exists.
func WriteTable(w io.Writer, results []Result, cmp []Comparison) error {
	torch := map[Cell]float64{}
	for _, c := range cmp {
		torch[c.Descent.Cell] = c.PyTorch.ImagesPerSec
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "model\toptimizer\tnormalization\tdevice\tbatch\timages/s\t"
	if len(cmp) > 0 {
		header += "pytorch images/s\tdescent/pytorch\t"
	}
	fmt.Fprintln(tw, header)
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%.0f\t", r.Model, r.Optimizer, r.Normalization, r.Device, r.Batch, r.ImagesPerSec)
		if v, ok := torch[r.Cell]; ok {
			fmt.Fprintf(tw, "%.0f\t%.2f×\t", v, r.ImagesPerSec/v)
		} else if len(cmp) > 0 {
			fmt.Fprint(tw, "\t\t")
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// WriteJSON writes the documented schema: an array of records, one per cell,
// {model, optimizer, normalization, device, batch, images_per_sec, repeats}.
func WriteJSON(path string, results []Result) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(results); err != nil {
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
// layer's share of the step.
func WriteProfile(w io.Writer, prof []graph.LayerTime) error {
	var total float64
	for _, l := range prof {
		total += (l.Forward + l.Backward).Seconds()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\tforward ms\tbackward ms\tshare\t")
	for _, l := range prof {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.1f%%\t\n", l.Layer, 1e3*l.Forward.Seconds(), 1e3*l.Backward.Seconds(),
			100*(l.Forward+l.Backward).Seconds()/total)
	}
	fmt.Fprintf(tw, "total\t\t\t%.3f ms\t\n", 1e3*total)
	return tw.Flush()
}
