package sweeps

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
)

// plotDPI keeps the sweeps' PNGs small enough to commit: 80 dots per inch
// (gonum's default is 96).
const plotDPI = 80

// savePanels draws panels (rows of plots; nil leaves a tile empty) side by
// side into one PNG of the given size.
func savePanels(path string, panels [][]*plot.Plot, w, h vg.Length) error {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: len(panels), Cols: len(panels[0]),
		PadX: 6 * vg.Millimeter, PadY: 6 * vg.Millimeter, PadTop: 2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	for _, row := range panels {
		for _, p := range row {
			if p != nil {
				widenToPowers(&p.Y)
			}
		}
	}
	canvases := plot.Align(panels, tiles, dc)
	for j, row := range panels {
		for i, p := range row {
			if p != nil {
				p.Draw(canvases[j][i])
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// newPanel starts a plot with a title, axis labels and a grid.
func newPanel(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	return p
}

// logY gives p a logarithmic y axis.
func logY(p *plot.Plot) {
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, powerTicks{}
}

// logX gives p a logarithmic x axis.
func logX(p *plot.Plot) {
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, powerTicks{}
}

// valueTicks labels exactly the given values on an axis.
func valueTicks(a *plot.Axis, values []float64) {
	ticks := make([]plot.Tick, len(values))
	for i, v := range values {
		ticks[i] = plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)}
	}
	a.Tick.Marker = plot.ConstantTicks(ticks)
}

// widenToPowers extends a log axis to the powers of ten around its data,
// so that both ends are labelled and the range is never empty (gonum would
// widen an empty one by ±1, below zero).
func widenToPowers(a *plot.Axis) {
	if _, ok := a.Scale.(plot.LogScale); ok && a.Min > 0 && a.Max >= a.Min {
		lo, hi := math.Floor(math.Log10(a.Min)), math.Ceil(math.Log10(a.Max))
		a.Min, a.Max = math.Pow10(int(lo)), math.Pow10(int(max(hi, lo+1)))
	}
}

// powerTicks labels the powers of ten on a log axis briefly (1e-06, 0.01, 1,
// 100) and marks 2…9 times each without labels.
type powerTicks struct{}

func (powerTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) {
		return nil
	}
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for k := 1; k < 10; k++ {
			v := float64(k) * math.Pow10(e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if k == 1 {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
			}
			ticks = append(ticks, t)
		}
	}
	return ticks
}

// addLine adds a labelled line in the i-th colour of plotutil's palette;
// dashed picks the i-th dash pattern instead of a solid line, points marks
// every value.
func addLine(p *plot.Plot, label string, xys plotter.XYs, i int, dashed, points bool) error {
	xys = finitePoints(xys, p.Y.Scale)
	if len(xys) == 0 {
		return nil
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.Color = plotutil.Color(i)
	l.Width = vg.Points(1.5)
	if dashed {
		l.Dashes = plotutil.Dashes(1)
	}
	p.Add(l)
	if points {
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		s.Color = l.Color
		s.Shape = plotutil.Shape(i)
		p.Add(s)
		if label != "" {
			p.Legend.Add(label, l, s)
		}
		return nil
	}
	if label != "" {
		p.Legend.Add(label, l)
	}
	return nil
}

// addPoints adds a labelled scatter of xys with the given glyph colour,
// shape and size.
func addPoints(p *plot.Plot, label string, xys plotter.XYs, c color.Color, shape draw.GlyphDrawer, radius vg.Length) error {
	if len(xys) == 0 {
		return nil
	}
	s, err := plotter.NewScatter(xys)
	if err != nil {
		return err
	}
	s.Color, s.Shape, s.Radius = c, shape, radius
	p.Add(s)
	if label != "" {
		p.Legend.Add(label, s)
	}
	return nil
}

// finitePoints drops points a plot cannot show: NaN or infinite values (a
// diverged run), and values ≤ 0 on a log axis.
func finitePoints(xys plotter.XYs, yScale plot.Normalizer) plotter.XYs {
	_, logScale := yScale.(plot.LogScale)
	out := make(plotter.XYs, 0, len(xys))
	for _, xy := range xys {
		if isFinite(xy.X) && isFinite(xy.Y) && (!logScale || xy.Y > 0) {
			out = append(out, xy)
		}
	}
	return out
}

// markBest circles the point xy and labels it.
func markBest(p *plot.Plot, label string, xy plotter.XY) error {
	return addPoints(p, label, plotter.XYs{xy}, color.Black, draw.RingGlyph{}, vg.Points(6))
}

// smooth returns the running mean of ys over a window of w values (fewer at
// the start), to make noisy per-step losses readable.
func smooth(ys []recipe.Metric, w int) []float64 {
	out := make([]float64, len(ys))
	var sum float64
	for i, y := range ys {
		sum += float64(y)
		if i >= w {
			sum -= float64(ys[i-w])
		}
		out[i] = sum / float64(min(i+1, w))
	}
	return out
}

// probGrid is a probability sampled on a rectangular grid, for heat maps and
// contours.
type probGrid struct {
	xs, ys []float64
	z      [][]float64 // z[column][row]
}

func (g probGrid) Dims() (c, r int)   { return len(g.xs), len(g.ys) }
func (g probGrid) Z(c, r int) float64 { return g.z[c][r] }
func (g probGrid) X(c int) float64    { return g.xs[c] }
func (g probGrid) Y(r int) float64    { return g.ys[r] }
func (g probGrid) Min() float64       { return 0 }
func (g probGrid) Max() float64       { return 1 }

// linspace returns n evenly spaced values from a to b.
func linspace(a, b float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = a + (b-a)*float64(i)/float64(n-1)
	}
	return out
}

// twoTone is a palette from a light blue (0) to a light red (1), for
// class probabilities.
type twoTone int

func (n twoTone) Colors() []color.Color {
	out := make([]color.Color, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		mix := func(a, b float64) uint8 { return uint8(math.Round(a + (b-a)*t)) }
		out[i] = color.RGBA{R: mix(200, 250), G: mix(220, 205), B: mix(250, 200), A: 255}
	}
	return out
}
