package augment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SpecNames are the augmentations ParseSpec knows, in the order of its help.
var SpecNames = []string{"hflip", "vflip", "translate", "rotate", "crop", "cutout", "erase", "jitter", "randaugment", "trivialaugment"}

// ParseSpec parses a comma-separated augmentation list for c×h×w images:
// hflip, vflip, translate=PIXELS, rotate=DEGREES, crop=PAD, cutout=SIZE, erase
// jitter=STRENGTH, randaugment=N,M (torchvision's RandAugment: N operations
// at magnitude M of 31 bins) and trivialaugment (TrivialAugmentWide), each
// optionally followed by @P, its probability (flips default to 0.5, the rest
// to 1). A value left out takes the default of its augmentation (translate 2
// pixels, rotate 10°, crop 4, cutout h/4, jitter 0.2, randaugment 2,9); the
// automatic augmentations sample bilinearly, as torchvision's recipes do.
// Every value must be finite and within the range of its augmentation for
// this image size: translate ≤ the image's side, rotate ≤ 360, crop and
// cutout whole numbers of pixels up to the side; flips and erase take none.
// An empty spec is a nil Transform.
func ParseSpec(spec string, c, h, w int) (Transform, error) {
	if c < 1 || h < 1 || w < 1 {
		return nil, fmt.Errorf("image shape %d×%d×%d is not positive", c, h, w)
	}
	var ts []Transform
	for _, item := range splitSpec(spec) {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		t, err := parseItem(item, h, w)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		if _, _, _, err := t.OutputShape(c, h, w); err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		ts = append(ts, t)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return Compose(ts...), nil
}

// splitSpec splits a spec into its items at commas, except the comma of
// randaugment=N,M: an item that is a bare number following randaugment=N
// is its magnitude.
func splitSpec(spec string) []string {
	var items []string
	for _, item := range strings.Split(spec, ",") {
		last := len(items) - 1
		if last >= 0 && strings.HasPrefix(strings.TrimSpace(items[last]), "randaugment=") && !strings.Contains(items[last], ",") {
			if number, _, _ := strings.Cut(strings.TrimSpace(item), "@"); number != "" && strings.Trim(number, "0123456789+-") == "" {
				items[last] += "," + item
				continue
			}
		}
		items = append(items, item)
	}
	return items
}

// parseRandAugment parses randaugment's "N,M".
func parseRandAugment(arg string, hasArg bool) (Transform, error) {
	r := RandAugment{N: 2, M: 9, Interpolation: Bilinear}
	if hasArg {
		n, m, ok := strings.Cut(arg, ",")
		var errN, errM error
		r.N, errN = strconv.Atoi(n)
		r.M, errM = strconv.Atoi(m)
		if !ok || errN != nil || errM != nil || r.N < 1 || r.N > 14 || r.M < 0 || r.M > 30 {
			return nil, fmt.Errorf("randaugment=%s is not N,M with 1 ≤ N ≤ 14 operations and magnitude 0 ≤ M ≤ 30", arg)
		}
	}
	return r, nil
}

// parseItem parses one NAME[=VALUE][@P].
func parseItem(item string, h, w int) (Transform, error) {
	p, explicitP := 1.0, false
	if at := strings.LastIndex(item, "@"); at >= 0 {
		v, err := strconv.ParseFloat(item[at+1:], 64)
		if err != nil || !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("probability %q is not a number in [0, 1]", item[at+1:])
		}
		p, explicitP, item = v, true, item[:at]
	}
	name, arg, hasArg := strings.Cut(item, "=")
	switch name {
	case "randaugment", "trivialaugment":
		var t Transform = TrivialAugmentWide{Interpolation: Bilinear}
		if name == "trivialaugment" && hasArg {
			return nil, fmt.Errorf("trivialaugment takes no value (only a probability: trivialaugment@P)")
		}
		if name == "randaugment" {
			var err error
			if t, err = parseRandAugment(arg, hasArg); err != nil {
				return nil, err
			}
		}
		if p < 1 {
			t = RandomApply{P: p, T: t}
		}
		return t, nil
	}
	val := 0.0
	if hasArg {
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return nil, fmt.Errorf("value %q of %s is not a positive number", arg, name)
		}
		val = v
	}
	side := min(h, w)
	// whole checks a value counted in pixels: an integer from 1 to limit.
	whole := func(what string, limit int) (int, error) {
		if val != math.Trunc(val) || val > float64(limit) {
			return 0, fmt.Errorf("%s %v is not a whole number of pixels from 1 to %d (the image is %d×%d)", what, val, limit, h, w)
		}
		return int(val), nil
	}
	var t Transform
	switch name {
	case "hflip", "vflip", "erase":
		if hasArg {
			return nil, fmt.Errorf("%s takes no value (only a probability: %s@P)", name, name)
		}
		switch name {
		case "hflip":
			t = FlipHorizontal{}
		case "vflip":
			t = FlipVertical{}
		default:
			t = RandomErasing{}
		}
		if name != "erase" && !explicitP {
			p = 0.5 // torchvision's RandomHorizontalFlip/RandomVerticalFlip
		}
	case "translate":
		if !hasArg {
			val = 2
		}
		if val > float64(side) {
			return nil, fmt.Errorf("translation by %v pixels exceeds the %d×%d image", val, h, w)
		}
		t = RandomTranslate{MaxX: val / float64(w), MaxY: val / float64(h)}
	case "rotate":
		if !hasArg {
			val = 10
		}
		t = RandomRotate{MaxDegrees: val, Interpolation: Bilinear}
	case "crop":
		pad := 4
		if hasArg {
			var err error
			if pad, err = whole("crop padding", side); err != nil {
				return nil, err
			}
		}
		t = RandomCrop{Height: h, Width: w, Padding: pad}
	case "cutout":
		size := max(h/4, 1)
		if hasArg {
			var err error
			if size, err = whole("cutout size", side); err != nil {
				return nil, err
			}
		}
		t = Cutout{Size: size}
	case "jitter":
		if !hasArg {
			val = 0.2
		}
		t = ColorJitter{Brightness: val, Contrast: val}
	default:
		return nil, fmt.Errorf("unknown augmentation %q (want %s)", name, strings.Join(SpecNames, ", "))
	}
	if p < 1 {
		t = RandomApply{P: p, T: t}
	}
	return t, nil
}
