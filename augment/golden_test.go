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
	MaxAbsDiff          *float64       `json:"max_abs_diff"` // nil: any difference
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

// fill reads the fill attribute: a number, or one number per channel that must
// all be the same (the transforms fill every channel alike); 0 when missing.
func (g goldenCase) fill(t *testing.T) uint8 {
	t.Helper()
	v, ok := g.Attrs["fill"]
	if !ok || v == nil {
		return 0
	}
	if list, ok := v.([]any); ok && len(list) > 0 {
		for _, x := range list[1:] {
			if x != list[0] {
				t.Fatalf("%s: fill %v: per-channel fills are not supported", g.Name, v)
			}
		}
		v = list[0]
	}
	f, ok := v.(float64)
	if !ok || f != float64(uint8(f)) {
		t.Fatalf("%s: fill %v is not a value from 0 to 255", g.Name, v)
	}
	return uint8(f)
}

// floatList reads a list of n numbers.
func (g goldenCase) floatList(t *testing.T, key string, n int) []float64 {
	t.Helper()
	list, ok := g.Attrs[key].([]any)
	if !ok || len(list) != n {
		t.Fatalf("%s: attribute %q = %v is not a list of %d numbers", g.Name, key, g.Attrs[key], n)
	}
	out := make([]float64, n)
	for i, v := range list {
		if out[i], ok = v.(float64); !ok {
			t.Fatalf("%s: attribute %q = %v is not a list of %d numbers", g.Name, key, g.Attrs[key], n)
		}
	}
	return out
}

// interpolation reads the interpolation attribute, nearest when missing.
func (g goldenCase) interpolation(t *testing.T) Interpolation {
	t.Helper()
	s, ok := g.Attrs["interpolation"].(string)
	if !ok {
		return Nearest
	}
	interp, err := ParseInterpolation(s)
	if err != nil {
		t.Fatalf("%s: %v", g.Name, err)
	}
	return interp
}

// sizeAttr reads a size attribute as torchvision takes it: an integer or a
// one-element list (the shorter side: shorter is true, h = w = it) or [h, w].
func (g goldenCase) sizeAttr(t *testing.T, key string) (h, w int, shorter bool) {
	t.Helper()
	whole := func(v any) int {
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) {
			t.Fatalf("%s: attribute %q = %v is not a size", g.Name, key, g.Attrs[key])
		}
		return int(f)
	}
	switch v := g.Attrs[key].(type) {
	case float64:
		return whole(v), whole(v), true
	case []any:
		if len(v) == 1 {
			return whole(v[0]), whole(v[0]), true
		}
		if len(v) == 2 {
			return whole(v[0]), whole(v[1]), false
		}
	}
	t.Fatalf("%s: attribute %q = %v is not a size", g.Name, key, g.Attrs[key])
	return 0, 0, false
}

// checkBilinear fails on an interpolation attribute other than bilinear, the one
// the resizing transforms implement.
func (g goldenCase) checkBilinear(t *testing.T) {
	t.Helper()
	if s, ok := g.Attrs["interpolation"]; ok && s != "bilinear" {
		t.Fatalf("%s: interpolation %v: only bilinear resizing is implemented", g.Name, s)
	}
	if a, ok := g.Attrs["antialias"]; ok && a != true {
		t.Fatalf("%s: antialias %v: only antialiased resizing is implemented", g.Name, a)
	}
}

// transform builds the case's transform from its op and attributes.
func (g goldenCase) transform(t *testing.T, in data.Image) Transform {
	t.Helper()
	fill := g.fill(t)
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
		if c, ok := g.Attrs["center"]; ok && c != nil { // torchvision's rotate is its affine by −degrees
			center := g.floatList(t, "center", 2)
			return Affine{Angle: -g.floatAttr(t, "degrees"), Center: &[2]float64{center[0], center[1]}, Interpolation: g.interpolation(t), Fill: fill}
		}
		return Rotate{Degrees: g.floatAttr(t, "degrees"), Interpolation: g.interpolation(t), Fill: fill}
	case "affine":
		a := Affine{Angle: g.floatAttr(t, "angle"), Scale: g.floatAttr(t, "scale"), Interpolation: g.interpolation(t), Fill: fill}
		translate := g.floatList(t, "translate", 2)
		a.TranslateX, a.TranslateY = translate[0], translate[1]
		if _, ok := g.Attrs["shear"].(float64); ok { // one number: parallel to x only
			a.ShearX = g.floatAttr(t, "shear")
		} else {
			shear := g.floatList(t, "shear", 2)
			a.ShearX, a.ShearY = shear[0], shear[1]
		}
		if _, ok := g.Attrs["center"]; ok && g.Attrs["center"] != nil {
			center := g.floatList(t, "center", 2)
			a.Center = &[2]float64{center[0], center[1]}
		}
		return a
	case "resize":
		g.checkBilinear(t)
		if _, ok := g.Attrs["size"]; !ok { // this package's own cases (testdata/torchvision)
			return Resize{Height: g.intAttr(t, "height"), Width: g.intAttr(t, "width")}
		}
		h, w, shorter := g.sizeAttr(t, "size")
		if shorter {
			return ResizeShorter{Size: h}
		}
		return Resize{Height: h, Width: w}
	case "center_crop":
		if _, ok := g.Attrs["size"]; !ok {
			return CenterCrop{Height: g.intAttr(t, "height"), Width: g.intAttr(t, "width")}
		}
		h, w, _ := g.sizeAttr(t, "size")
		return CenterCrop{Height: h, Width: w}
	case "resized_crop":
		g.checkBilinear(t)
		r := ResizedCrop{Top: g.intAttr(t, "top"), Left: g.intAttr(t, "left"), Height: g.intAttr(t, "height"), Width: g.intAttr(t, "width")}
		h, w, shorter := g.sizeAttr(t, "size")
		if shorter { // the box's shorter side becomes size
			h, w = ResizeShorter{Size: h}.size(r.Height, r.Width)
		}
		r.OutHeight, r.OutWidth = h, w
		return r
	case "adjust_brightness", "brightness": // the second: this package's own cases
		return Brightness{Factor: g.floatAttr(t, "factor")}
	case "adjust_contrast", "contrast":
		return Contrast{Factor: g.floatAttr(t, "factor")}
	case "adjust_saturation":
		return Saturation{Factor: g.floatAttr(t, "factor")}
	case "adjust_sharpness":
		return Sharpness{Factor: g.floatAttr(t, "factor")}
	case "posterize":
		return Posterize{Bits: g.intAttr(t, "bits")}
	case "solarize":
		return Solarize{Threshold: g.floatAttr(t, "threshold")}
	case "autocontrast":
		return AutoContrast{}
	case "equalize":
		return Equalize{}
	case "invert":
		return Invert{}
	case "auto_op": // this package's cases of RandAugment's and TrivialAugment's operations
		return fixedAutoOp{op: autoOpNamed(t, g.Attrs["name"]), magnitude: g.floatAttr(t, "magnitude"), interp: g.interpolation(t)}
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
			mismatches, worst := 0, 0
			for i := range got.Pix {
				if got.Pix[i] != want.Pix[i] {
					mismatches++
					worst = max(worst, absDiff(got.Pix[i], want.Pix[i]))
				}
			}
			if g.MaxAbsDiff != nil && float64(worst) > *g.MaxAbsDiff {
				t.Errorf("%s (%s): a value differs by %d > %v", g.Name, g.Attrs["meaning"], worst, *g.MaxAbsDiff)
			}
			if frac := float64(mismatches) / float64(len(want.Pix)); frac > g.MaxMismatchFraction {
				t.Errorf("%s (%s): %d of %d values differ (%.3f > %.3f)\n%s", g.Name, g.Attrs["meaning"],
					mismatches, len(want.Pix), frac, g.MaxMismatchFraction, diffPlanes(got, want))
			}
		})
	}
}

func absDiff(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }

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
