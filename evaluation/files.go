package evaluation

import (
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strconv"

	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette/brewer"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/descent-ml/descent/data"
)

// WriteFiles writes confusion.csv and confusion.png into dir.
func (r *Report) WriteFiles(dir string) error {
	if err := r.WriteConfusionCSV(filepath.Join(dir, "confusion.csv")); err != nil {
		return err
	}
	return r.WriteConfusionPNG(filepath.Join(dir, "confusion.png"))
}

// WriteConfusionCSV writes the confusion matrix: a header row of the predicted
// classes, then one row per true class starting with its name.
func (r *Report) WriteConfusionCSV(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	w := csv.NewWriter(f)
	w.Write(append([]string{`true \ predicted`}, r.Classes...))
	for t, row := range r.Confusion {
		rec := []string{r.Classes[t]}
		for _, n := range row {
			rec = append(rec, strconv.Itoa(n))
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return fmt.Errorf("evaluation: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("evaluation: %s: %w", path, err)
	}
	return nil
}

// confusionGrid is the heat map's view of the matrix: the colour of a cell is
// its share of the true class's samples (so that rare classes show as clearly
// as common ones), true classes from top to bottom.
type confusionGrid struct{ r *Report }

func (g confusionGrid) Dims() (c, r int) { return len(g.r.Classes), len(g.r.Classes) }
func (g confusionGrid) X(c int) float64  { return float64(c) }
func (g confusionGrid) Y(r int) float64  { return float64(r) }
func (g confusionGrid) Z(c, r int) float64 {
	row := g.r.Confusion[len(g.r.Classes)-1-r]
	total := 0
	for _, n := range row {
		total += n
	}
	if total == 0 {
		return 0
	}
	return float64(row[c]) / float64(total)
}

// maxAnnotatedClasses bounds the classes whose cells get their counts written.
const maxAnnotatedClasses = 30

// WriteConfusionPNG draws the confusion matrix as a heat map, class names on
// both axes (predicted across, true down), each cell coloured by its share of
// its row and, for up to 30 classes, labelled with its count.
func (r *Report) WriteConfusionPNG(path string) error {
	k := len(r.Classes)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Confusion matrix (%d samples, top-1 %.2f%%)", r.N, 100*r.Summary().Top1)
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true"
	blues, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	heat := plotter.NewHeatMap(confusionGrid{r}, blues)
	heat.Min, heat.Max = 0, 1
	p.Add(heat)
	var xTicks, yTicks []plot.Tick
	for c, name := range r.Classes {
		xTicks = append(xTicks, plot.Tick{Value: float64(c), Label: name})
		yTicks = append(yTicks, plot.Tick{Value: float64(k - 1 - c), Label: name})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xTicks)
	p.Y.Tick.Marker = plot.ConstantTicks(yTicks)
	p.X.Tick.Label.Rotation = math.Pi / 2
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	if k <= maxAnnotatedClasses {
		labels := plotter.XYLabels{}
		var styles []text.Style
		for t, row := range r.Confusion {
			for c, n := range row {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(k - 1 - t)})
				labels.Labels = append(labels.Labels, strconv.Itoa(n))
				style := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 9), XAlign: draw.XCenter, YAlign: draw.YCenter, Handler: p.Title.TextStyle.Handler}
				if (confusionGrid{r}).Z(c, k-1-t) > 0.5 {
					style.Color = color.White
				}
				styles = append(styles, style)
			}
		}
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
		l.TextStyle = styles
		p.Add(l)
	}
	side := vg.Length(max(4, 0.35*float64(k)+2)) * vg.Inch
	if err := p.Save(side, side, path); err != nil {
		return fmt.Errorf("evaluation: writing %s: %w", path, err)
	}
	return nil
}

// Grid layout of WriteMistakes, in points (1/72 inch) at 96 dpi.
const (
	cellImage   = 112 // the side of each image's box
	cellCaption = 14  // the caption's height below it
	cellMargin  = 6
	gridColumns = 6
	gridDPI     = 96
)

// WriteMistakes draws the most confidently wrong samples (Mistakes) as a PNG
// grid, each image scaled into a square box and captioned
// "true → predicted (probability)". image returns a sample's image by its
// index, as the dataset evaluated holds it (before normalization).
func (r *Report) WriteMistakes(path string, image func(sample int) (data.Image, error)) error {
	if len(r.mistakes) == 0 {
		return fmt.Errorf("evaluation: no misclassified images to draw in %s", path)
	}
	cols := min(gridColumns, len(r.mistakes))
	rows := (len(r.mistakes) + cols - 1) / cols
	cellW, cellH := vg.Length(cellImage+2*cellMargin), vg.Length(cellImage+cellCaption+2*cellMargin)
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(cols)*cellW, vg.Length(rows)*cellH), vgimg.UseDPI(gridDPI), vgimg.UseBackgroundColor(color.White))
	face := font.DefaultCache.Lookup(plot.DefaultFont, 9)
	_, height := c.Size()
	for i, m := range r.mistakes {
		img, err := image(m.Sample)
		if err != nil {
			return fmt.Errorf("evaluation: misclassified sample %d: %w", m.Sample, err)
		}
		rgba, err := toRGBA(img)
		if err != nil {
			return fmt.Errorf("evaluation: misclassified sample %d: %w", m.Sample, err)
		}
		// The cell's top-left corner; vg's y axis points up.
		left, top := vg.Length(i%cols)*cellW+cellMargin, height-vg.Length(i/cols)*cellH-cellMargin
		scale := float64(cellImage) / float64(max(img.H, img.W))
		w, h := vg.Length(float64(img.W)*scale), vg.Length(float64(img.H)*scale)
		x0 := left + (cellImage-w)/2
		y0 := top - cellImage + (cellImage-h)/2
		c.DrawImage(vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x0 + w, Y: y0 + h}}, upscale(rgba, cellImage))
		caption := fmt.Sprintf("%s → %s (%.2f)", r.Classes[m.True], r.Classes[m.Pred], m.Probability)
		for face.Width(caption) > cellW-2 && len([]rune(caption)) > 4 {
			runes := []rune(caption)
			caption = string(runes[:len(runes)-2]) + "…"
		}
		c.SetColor(color.Black)
		c.FillString(face, vg.Point{X: left + (cellImage-face.Width(caption))/2, Y: top - cellImage - cellCaption + 3}, caption)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("evaluation: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("evaluation: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("evaluation: writing %s: %w", path, err)
	}
	return nil
}

// toRGBA converts a grey or RGB CHW image for drawing.
func toRGBA(m data.Image) (*image.RGBA, error) {
	if (m.C != 1 && m.C != 3) || m.H < 1 || m.W < 1 || len(m.Pix) != m.Len() {
		return nil, fmt.Errorf("a %d×%d×%d image with %d values cannot be drawn", m.C, m.H, m.W, len(m.Pix))
	}
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	n := m.H * m.W
	for i := range n {
		r, g, b := m.Pix[i], m.Pix[i], m.Pix[i]
		if m.C == 3 {
			g, b = m.Pix[n+i], m.Pix[2*n+i]
		}
		out.Pix[4*i], out.Pix[4*i+1], out.Pix[4*i+2], out.Pix[4*i+3] = r, g, b, 255
	}
	return out, nil
}

// upscale enlarges small images (MNIST's 28×28) with nearest neighbours to at
// least side pixels, so that the canvas does not blur them.
func upscale(m *image.RGBA, side int) image.Image {
	b := m.Bounds()
	f := side / max(b.Dx(), b.Dy())
	if f < 2 {
		return m
	}
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*f, b.Dy()*f))
	xdraw.NearestNeighbor.Scale(out, out.Bounds(), m, b, xdraw.Src, nil)
	return out
}
