package augment

import (
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
)

func TestParseSpecAcceptsTheDocumentedForms(t *testing.T) {
	for _, spec := range []string{"", "hflip", "vflip@0.2", "translate=2,rotate=10", "crop=4", "cutout=8@0.5",
		"erase", "erase@0.3", "jitter=0.4", "translate, rotate, crop, cutout, jitter", "hflip@1,hflip@0"} {
		if _, err := ParseSpec(spec, 1, 28, 28); err != nil {
			t.Errorf("%q: %v", spec, err)
		}
	}
}

// TestParseSpecRefusesBadValues: every value out of range, not finite, or
// given where none is taken is an error naming the item, never a default.
func TestParseSpecRefusesBadValues(t *testing.T) {
	for spec, mention := range map[string]string{
		"hflip@NaN":        "probability",
		"hflip@1.5":        "probability",
		"hflip@-0":         "", // -0 is a valid probability: see below
		"hflip=3":          "takes no value",
		"erase=1":          "takes no value",
		"crop=1e12":        "whole number",
		"crop=2.5":         "whole number",
		"cutout=29":        "whole number",
		"translate=NaN":    "not a positive number",
		"translate=0":      "not a positive number",
		"translate=-1":     "not a positive number",
		"translate=100":    "exceeds",
		"rotate=Inf":       "not a positive number",
		"rotate=400":       "360",
		"jitter=1e999":     "not a positive number",
		"flip":             "unknown augmentation",
		"hflip,,rotate=x":  "not a positive number",
		"crop=4@0.5@0.5":   "not a positive number",
		"cutout=8@":        "probability",
		"translate=2=3":    "not a positive number",
		"rotate=10,crop=0": "not a positive number",
	} {
		_, err := ParseSpec(spec, 1, 28, 28)
		if mention == "" {
			if err != nil {
				t.Errorf("%q: %v", spec, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("%q: error %v should say %q", spec, err, mention)
		}
	}
	if _, err := ParseSpec("hflip", 0, 28, 28); err == nil {
		t.Errorf("an empty image shape is accepted")
	}
}

func TestParseSpecDefaults(t *testing.T) {
	tr, err := ParseSpec("hflip,translate,crop,cutout", 1, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	p := tr.(Pipeline)
	if ra, ok := p[0].(RandomApply); !ok || ra.P != 0.5 {
		t.Errorf("hflip: %#v, want RandomApply with P 0.5", p[0])
	}
	if rt := p[1].(RandomTranslate); rt.MaxX != 2.0/32 {
		t.Errorf("translate: %#v", rt)
	}
	if rc := p[2].(RandomCrop); rc.Padding != 4 || rc.Height != 32 {
		t.Errorf("crop: %#v", rc)
	}
	if cu := p[3].(Cutout); cu.Size != 8 {
		t.Errorf("cutout: %#v", cu)
	}
}

// FuzzParseSpec: the -augment parser never panics, and what it accepts
// applies to an image of the size it was checked for.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"hflip", "translate=2,rotate=10", "crop=4@0.5", "cutout=8", "erase@0.1", "jitter=0.3", "hflip@NaN", "crop=1e12"} {
		f.Add(s, uint8(3), uint8(28), uint8(28))
	}
	f.Fuzz(func(t *testing.T, spec string, c, h, w uint8) {
		ch, hh, ww := int(c%4), int(h%40), int(w%40)
		tr, err := ParseSpec(spec, ch, hh, ww)
		if err != nil || tr == nil {
			return
		}
		oc, oh, ow, err := tr.OutputShape(ch, hh, ww)
		if err != nil {
			t.Fatalf("%q accepted for %d×%d×%d, then OutputShape: %v", spec, ch, hh, ww, err)
		}
		src := data.NewImage(ch, hh, ww)
		var dst data.Image
		out := tr.Apply(&dst, src, NewContext(1))
		if out.C != oc || out.H != oh || out.W != ow {
			t.Fatalf("%q: %d×%d×%d, want %d×%d×%d", spec, out.C, out.H, out.W, oc, oh, ow)
		}
	})
}

// TestParseSpecAutomaticAugmentations: randaugment=N,M keeps its comma,
// sits among other items, and defaults to torchvision's 2,9; trivialaugment
// takes only a probability; bad N or M are refused.
func TestParseSpecAutomaticAugmentations(t *testing.T) {
	tr, err := ParseSpec("hflip,randaugment=3,7,crop=2,randaugment,trivialaugment@0.5,randaugment=1,0@0.3", 3, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	p := tr.(Pipeline)
	want := []Transform{RandomApply{P: 0.5, T: FlipHorizontal{}}, RandAugment{N: 3, M: 7, Interpolation: Bilinear},
		RandomCrop{Height: 32, Width: 32, Padding: 2}, RandAugment{N: 2, M: 9, Interpolation: Bilinear},
		RandomApply{P: 0.5, T: TrivialAugmentWide{Interpolation: Bilinear}},
		RandomApply{P: 0.3, T: RandAugment{N: 1, M: 0, Interpolation: Bilinear}}}
	if len(p) != len(want) {
		t.Fatalf("%d transforms %#v, want %d", len(p), p, len(want))
	}
	for i := range want {
		if p[i] != want[i] {
			t.Errorf("transform %d: %#v, want %#v", i, p[i], want[i])
		}
	}
	for spec, mention := range map[string]string{
		"randaugment=2":      "N,M",
		"randaugment=0,9":    "1 ≤ N ≤ 14",
		"randaugment=2,31":   "M ≤ 30",
		"randaugment=2,-1":   "N,M",
		"randaugment=x,y":    "N,M",
		"trivialaugment=3":   "takes no value",
		"randaugment=2,9@2":  "probability",
		"randaugment=2,9,1":  "unknown augmentation",
		"trivialaugment@NaN": "probability",
	} {
		if _, err := ParseSpec(spec, 3, 32, 32); err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("%q: error %v should say %q", spec, err, mention)
		}
	}
	if _, err := ParseSpec("randaugment=2,9", 2, 32, 32); err == nil {
		t.Errorf("randaugment of 2-channel images is accepted")
	}
}
