package augment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/golden"
)

// goldenCase is one testdata/golden/augment case (see testdata/golden/FORMAT.md).
type goldenCase struct {
	Name                string         `json:"name"`
	Op                  string         `json:"op"`
	Attrs               map[string]any `json:"attrs"`
	Input               goldenTensor   `json:"input"`
	Output              goldenTensor   `json:"output"`
	MaxMismatchFraction float64        `json:"max_mismatch_fraction"`
}

type goldenTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

func (g goldenTensor) image(t *testing.T) data.Image {
	t.Helper()
	if len(g.Shape) != 3 || g.Shape[0]*g.Shape[1]*g.Shape[2] != len(g.Data) {
		t.Fatalf("tensor of shape %v with %d values is no CHW image", g.Shape, len(g.Data))
	}
	m := data.NewImage(g.Shape[0], g.Shape[1], g.Shape[2])
	for i, v := range g.Data {
		m.Pix[i] = uint8(v)
	}
	return m
}

// intAttr reads a whole-number attribute.
func (g goldenCase) intAttr(t *testing.T, key string) int {
	t.Helper()
	v, ok := g.Attrs[key].(float64)
	if !ok || v != float64(int(v)) {
		t.Fatalf("%s: attribute %q = %v is not an integer", g.Name, key, g.Attrs[key])
	}
	return int(v)
}

// floatAttr reads a number attribute.
func (g goldenCase) floatAttr(t *testing.T, key string) float64 {
	t.Helper()
	v, ok := g.Attrs[key].(float64)
	if !ok {
		t.Fatalf("%s: attribute %q = %v is not a number", g.Name, key, g.Attrs[key])
	}
	return v
}

// optionalInt reads an integer attribute that may be missing (then def).
func (g goldenCase) optionalInt(t *testing.T, key string, def int) int {
	t.Helper()
	if _, ok := g.Attrs[key]; !ok {
		return def
	}
	return g.intAttr(t, key)
}

// transform builds the case's transform from its op and attributes.
func (g goldenCase) transform(t *testing.T, in data.Image) Transform {
	t.Helper()
	fill := uint8(g.optionalInt(t, "fill", 0))
	switch g.Op {
	case "flip_horizontal":
		return FlipHorizontal{}
	case "flip_vertical":
		return FlipVertical{}
	case "translate":
		return Translate{DX: g.intAttr(t, "dx"), DY: g.intAttr(t, "dy"), Fill: fill}
	case "pad_crop":
		return PadCrop{
			Padding: g.intAttr(t, "padding"), Top: g.intAttr(t, "top"), Left: g.intAttr(t, "left"),
			Height: g.optionalInt(t, "height", in.H), Width: g.optionalInt(t, "width", in.W), Fill: fill,
		}
	case "rotate":
		deg := g.floatAttr(t, "degrees")
		interp := Nearest
		if s, ok := g.Attrs["interpolation"].(string); ok {
			var err error
			if interp, err = ParseInterpolation(s); err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
		}
		return Rotate{Degrees: deg, Interpolation: interp, Fill: fill}
	// Ops of this package's own torchvision cases (testdata/torchvision).
	case "resize":
		return Resize{Height: g.intAttr(t, "height"), Width: g.intAttr(t, "width")}
	case "center_crop":
		return CenterCrop{Height: g.intAttr(t, "height"), Width: g.intAttr(t, "width")}
	case "brightness":
		return Brightness{Factor: g.floatAttr(t, "factor")}
	case "contrast":
		return Contrast{Factor: g.floatAttr(t, "factor")}
	}
	t.Fatalf("%s: unknown op %q", g.Name, g.Op)
	return nil
}

// TestGolden checks every PyTorch reference case of the project.
func TestGolden(t *testing.T) { checkCases(t, golden.Dir("augment")) }

// TestTorchvisionCases checks the cases testdata/gen_torchvision.py wrote with
// torchvision 0.14 for the transforms the project's golden set leaves out.
func TestTorchvisionCases(t *testing.T) { checkCases(t, filepath.Join("testdata", "torchvision")) }

// checkCases runs every *.json case of dir.
func checkCases(t *testing.T, dir string) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases in %s (%v)", dir, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var g goldenCase
			if err := json.Unmarshal(raw, &g); err != nil {
				t.Fatal(err)
			}
			in, want := g.Input.image(t), g.Output.image(t)
			tr := g.transform(t, in)
			c, h, w, err := tr.OutputShape(in.C, in.H, in.W)
			if err != nil {
				t.Fatalf("%s (%s): %v", g.Name, g.Attrs["meaning"], err)
			}
			if c != want.C || h != want.H || w != want.W {
				t.Fatalf("output shape %d×%d×%d, want %v", c, h, w, g.Output.Shape)
			}
			var dst data.Image
			got := tr.Apply(&dst, in, NewContext(1))
			mismatches := 0
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[i] {
					mismatches++
				}
			}
			if frac := float64(mismatches) / float64(len(want.Pix)); frac > g.MaxMismatchFraction {
				t.Errorf("%s (%s): %d of %d values differ (%.3f > %.3f)\n%s", g.Name, g.Attrs["meaning"],
					mismatches, len(want.Pix), frac, g.MaxMismatchFraction, diffPlanes(got, want))
			}
		})
	}
}

// diffPlanes prints the first channel of got and want side by side.
func diffPlanes(got, want data.Image) string {
	s := ""
	for y := range got.H {
		for x := range got.W {
			s += fmt.Sprintf("%4d", got.Pix[y*got.W+x])
		}
		s += "   |"
		for x := range want.W {
			s += fmt.Sprintf("%4d", want.Pix[y*want.W+x])
		}
		s += "\n"
	}
	return s
}
