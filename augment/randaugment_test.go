package augment

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/descent-ml/descent/data"
)

// fixedAutoOp applies one automatic-augmentation operation at a fixed magnitude,
// as torchvision's _apply_op does (with fill=None: zeros outside).
type fixedAutoOp struct {
	op        autoOp
	magnitude float64
	interp    Interpolation
}

func (f fixedAutoOp) OutputShape(c, h, w int) (int, int, int, error) {
	return checkAutoAugment(f.interp, c, h, w)
}

func (f fixedAutoOp) Apply(dst *data.Image, src data.Image, ctx *Context) data.Image {
	return f.op.apply(dst, src, f.magnitude, f.interp, 0, ctx)
}

func autoOpNamed(t *testing.T, name any) autoOp {
	t.Helper()
	for op, n := range autoOpNames {
		if n == name {
			return autoOp(op)
		}
	}
	t.Fatalf("unknown automatic augmentation operation %v", name)
	return 0
}

// TestAugmentationSpaces checks every operation's sign and magnitude table, bin by
// bin, against torchvision's (testdata/augmentation_spaces.json).
func TestAugmentationSpaces(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "augmentation_spaces.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spaces []struct {
		Policy        string
		Bins          int
		Height, Width int
		Ops           []struct {
			Name       string
			Signed     bool
			Magnitudes []float64
		}
	}
	if err := json.Unmarshal(raw, &spaces); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, s := range spaces {
		if len(s.Ops) != numAutoOps {
			t.Fatalf("%s: %d operations, want %d", s.Policy, len(s.Ops), numAutoOps)
		}
		for i, o := range s.Ops {
			op := autoOp(i)
			if op.String() != o.Name || op.signed() != o.Signed || op.hasMagnitude() != (len(o.Magnitudes) > 0) {
				t.Fatalf("%s operation %d: %s (signed %v, magnitude %v), torchvision has %s (%v, %v)",
					s.Policy, i, op, op.signed(), op.hasMagnitude(), o.Name, o.Signed, len(o.Magnitudes) > 0)
			}
			for m, want := range o.Magnitudes {
				var got float64
				if s.Policy == "randaugment" {
					got = randAugmentMagnitude(op, m, s.Bins, s.Height, s.Width)
				} else {
					got = trivialAugmentMagnitude(op, m, s.Bins)
				}
				if got != want {
					t.Errorf("%s %d bins %d×%d: %s bin %d = %v, want %v", s.Policy, s.Bins, s.Height, s.Width, op, m, got, want)
				}
				checked++
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d magnitudes checked", checked)
	}
}

// photo is a smooth image with some noise, in a narrow band of values, on which
// every operation gives a different result (on uniform noise, equalization
// changes nothing).
func photo(c, h, w int) data.Image {
	noise := randomImage(c, h, w, 77)
	return naive(c, h, w, func(c, y, x int) uint8 {
		return uint8(60 + 30*c + 2*y + x + int(noise.Pix[(c*h+y)*w+x])%9)
	})
}

// The draw tests recognise which operation each sample went through by comparing
// it with every operation at every signed magnitude.
func TestRandAugmentDraws(t *testing.T) {
	src := photo(3, 36, 40)
	ra := RandAugment{N: 1, M: 9}
	if _, _, _, err := ra.OutputShape(3, 36, 40); err != nil {
		t.Fatal(err)
	}
	// Every image RandAugment(1, 9) can produce: each operation at ±magnitude.
	var candidates []data.Image
	for op := range autoOp(numAutoOps) {
		mag := randAugmentMagnitude(op, 9, 31, 36, 40)
		for _, sign := range []float64{1, -1} {
			candidates = append(candidates, apply(t, fixedAutoOp{op: op, magnitude: sign * mag}, src, nil))
			if !op.signed() {
				break
			}
		}
	}
	ctx := NewContext(4)
	hits := make([]int, len(candidates))
	const samples = 3000
	for i := range samples {
		ctx.Seed(4, 0, i)
		got := apply(t, ra, src, ctx)
		found := false
		for k, c := range candidates {
			if string(c.Pix) == string(got.Pix) {
				hits[k]++
				found = true
				break // identical candidates (e.g. identity and a no-op) count once
			}
		}
		if !found {
			t.Fatalf("sample %d is none of RandAugment's operations at magnitude 9", i)
		}
	}
	// 14 operations, 9 of them signed: 23 outcomes; each op has probability 1/14.
	for k, n := range hits {
		if n == 0 {
			t.Errorf("outcome %d never drawn in %d samples", k, samples)
		}
	}
	if n := hits[0]; math.Abs(float64(n)/samples-1.0/14) > 0.02 {
		t.Errorf("identity drawn %d times in %d, want about 1/14", n, samples)
	}

	// N operations in a row: the same seed gives the same image, and N = 0 the
	// image itself.
	two := RandAugment{N: 3, M: 20}
	sameImage(t, "same seed", apply(t, two, src, seeded(5, 1)), apply(t, two, src, seeded(5, 1)))
	sameImage(t, "no operation", apply(t, RandAugment{M: 5}, src, nil), src)
	for _, bad := range []Transform{RandAugment{N: -1, M: 3}, RandAugment{N: 2, M: 31}, RandAugment{N: 2, M: 3, Bins: 1},
		RandAugment{N: 1, M: -1}, TrivialAugmentWide{Bins: 1}, TrivialAugmentWide{Interpolation: 9}} {
		if _, _, _, err := bad.OutputShape(3, 8, 8); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	if _, _, _, err := (TrivialAugmentWide{}).OutputShape(4, 8, 8); err == nil {
		t.Error("TrivialAugmentWide accepted a 4-channel image")
	}
}

func TestTrivialAugmentDraws(t *testing.T) {
	src := photo(3, 36, 40)
	ta := TrivialAugmentWide{}
	// Every operation at every signed magnitude bin.
	var candidates []data.Image
	var ops []autoOp
	for op := range autoOp(numAutoOps) {
		bins := 1
		if op.hasMagnitude() {
			bins = 31
		}
		for m := range bins {
			mag := trivialAugmentMagnitude(op, m, 31)
			for _, sign := range []float64{1, -1} {
				candidates = append(candidates, apply(t, fixedAutoOp{op: op, magnitude: sign * mag}, src, nil))
				ops = append(ops, op)
				if !op.signed() {
					break
				}
			}
		}
	}
	ctx := NewContext(6)
	perOp := make([]int, numAutoOps)
	const samples = 3000
	for i := range samples {
		ctx.Seed(6, 0, i)
		got := apply(t, ta, src, ctx)
		k := 0
		for k < len(candidates) && string(candidates[k].Pix) != string(got.Pix) {
			k++
		}
		if k == len(candidates) {
			t.Fatalf("sample %d is none of TrivialAugmentWide's operations", i)
		}
		perOp[ops[k]]++
	}
	// The first matching operation takes the count: identity also matches the
	// zero magnitudes, so check the others, each drawn with probability 1/14.
	for op := opShearX; op < autoOp(numAutoOps); op++ {
		if math.Abs(float64(perOp[op])/samples-1.0/14) > 0.03 {
			t.Errorf("%s drawn %d times in %d, want about 1/14", op, perOp[op], samples)
		}
	}
	sameImage(t, "same seed", apply(t, ta, src, seeded(7, 3)), apply(t, ta, src, seeded(7, 3)))
}

func TestAutoAugmentAllocations(t *testing.T) {
	src := randomImage(3, 24, 24, 33)
	for _, tr := range []Transform{RandAugment{N: 2, M: 9}, TrivialAugmentWide{}, Compose(RandomResizedCrop{Height: 16, Width: 16}, RandAugment{N: 2, M: 9})} {
		ctx := NewContext(8)
		var dst data.Image
		for i := range 200 { // grow the scratch memory
			ctx.Seed(8, 0, i)
			tr.Apply(&dst, src, ctx)
		}
		i := 0
		if n := testing.AllocsPerRun(100, func() {
			ctx.Seed(8, 0, i%200)
			tr.Apply(&dst, src, ctx)
			i++
		}); n != 0 {
			t.Errorf("%T: %v allocations per image", tr, n)
		}
	}
}

// The ImageNet training recipe with RandAugment or TrivialAugment through the
// Loader: the same batches whatever the number of workers, so a resumed run
// augments exactly as the interrupted one would have.
func TestAutoAugmentLoaderDeterministic(t *testing.T) {
	ds := labelledDataset(40, 3, 20, 24, 4)
	norm, err := data.NewNormalizer(data.NormStandardize, data.ImageNetStats)
	if err != nil {
		t.Fatal(err)
	}
	for _, auto := range []Transform{RandAugment{N: 2, M: 9, Interpolation: Bilinear}, TrivialAugmentWide{}} {
		tr := Compose(ImageNetTrain(16), auto)
		var ref []Batch
		for _, workers := range []int{1, 3} {
			got := collect(t, newLoader(t, ds, Config{BatchSize: 8, Shuffle: true, Seed: 9, Workers: workers, Transform: tr, Normalizer: norm}), 2)
			if ref == nil {
				ref = got
				continue
			}
			for k := range ref {
				if !slices.Equal(got[k].X, ref[k].X) {
					t.Fatalf("%T: %d workers: batch %d differs from 1 worker", auto, workers, k)
				}
			}
		}
	}
}
