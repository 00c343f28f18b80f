package augment

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// mixBatch is a batch of n random c×h×w images with labels i mod classes.
func mixBatch(rng *rand.Rand, n, c, h, w, classes int) *Batch {
	b := &Batch{N: n, C: c, H: h, W: w, X: make([]float32, n*c*h*w), Labels: make([]int, n)}
	for i := range b.X {
		b.X[i] = float32(rng.NormFloat64())
	}
	for i := range b.Labels {
		b.Labels[i] = (3 * i) % classes
	}
	return b
}

func TestMixupBlendsReversedPairs(t *testing.T) {
	for _, n := range []int{4, 5} {
		rng := rand.New(rand.NewPCG(1, 2))
		const classes = 7
		b := mixBatch(rng, n, 2, 3, 4, classes)
		orig := append([]float32(nil), b.X...)
		m := DefaultMix(0.4, 0, classes)
		p := MixParams{Lambda: 0.3}
		targets := make([]float32, n*classes)
		if err := m.Apply(p, b, targets); err != nil {
			t.Fatal(err)
		}
		size := 2 * 3 * 4
		lam, rest := float32(0.3), float32(0.7)
		for i := 0; i < n; i++ {
			j := n - 1 - i
			for k := 0; k < size; k++ {
				want := float32(orig[i*size+k]*lam) + float32(orig[j*size+k]*rest)
				if i == j {
					want = orig[i*size+k] // the middle sample keeps its image
				}
				if got := b.X[i*size+k]; got != want {
					t.Fatalf("n=%d: x[%d][%d] = %v, want %v", n, i, k, got, want)
				}
			}
			want := make([]float32, classes)
			want[b.Labels[i]] += lam
			want[b.Labels[j]] += rest
			if got := targets[i*classes : (i+1)*classes]; !reflect.DeepEqual(got, want) {
				t.Fatalf("n=%d: targets of %d = %v, want %v", n, i, got, want)
			}
		}
	}
}

// TestCutmixBox checks timm's box: sides ⌊32·√(1−λ)⌋, half on each side of
// the centre, clipped, and λ corrected to the uncovered share.
func TestCutmixBox(t *testing.T) {
	for _, tc := range []struct {
		lam                      float64
		cy, cx                   int
		top, bottom, left, right int
	}{
		{0.75, 16, 16, 8, 24, 8, 24},    // sides 16, inside
		{0.75, 4, 30, 0, 12, 22, 32},    // clipped at the top and the right
		{0.5, 0, 0, 0, 11, 0, 11},       // sides ⌊32·0.7071⌋ = 22
		{0.99, 10, 10, 9, 11, 9, 11},    // sides ⌊3.2⌋ = 3: half 1
		{0.999, 10, 10, 10, 10, 10, 10}, // sides 1: half 0, an empty box
	} {
		top, bottom, left, right, lam := cutmixBox(32, 32, tc.lam, tc.cy, tc.cx)
		if top != tc.top || bottom != tc.bottom || left != tc.left || right != tc.right {
			t.Errorf("λ %v at (%d, %d): box rows [%d, %d) columns [%d, %d), want [%d, %d) [%d, %d)",
				tc.lam, tc.cy, tc.cx, top, bottom, left, right, tc.top, tc.bottom, tc.left, tc.right)
		}
		if want := 1 - float64((tc.bottom-tc.top)*(tc.right-tc.left))/1024; lam != want {
			t.Errorf("λ %v at (%d, %d): corrected λ %v, want %v", tc.lam, tc.cy, tc.cx, lam, want)
		}
	}
}

func TestCutmixPastesThePartnersBox(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, c, h, w, classes = 4, 3, 6, 5, 10
	b := mixBatch(rng, n, c, h, w, classes)
	orig := append([]float32(nil), b.X...)
	p := MixParams{Cutmix: true, Top: 1, Bottom: 4, Left: 2, Right: 5}
	p.Lambda = 1 - float64(3*3)/float64(h*w)
	targets := make([]float32, n*classes)
	if err := DefaultMix(0, 1, classes).Apply(p, b, targets); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		j := n - 1 - i
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					at := ((ch*h)+y)*w + x
					src := i
					if y >= 1 && y < 4 && x >= 2 && x < 5 {
						src = j
					}
					if got, want := b.X[i*c*h*w+at], orig[src*c*h*w+at]; got != want {
						t.Fatalf("sample %d channel %d (%d, %d) = %v, want sample %d's %v", i, ch, y, x, got, src, want)
					}
				}
			}
		}
		own, other := targets[i*classes+b.Labels[i]], targets[i*classes+b.Labels[j]]
		if b.Labels[i] != b.Labels[j] && (own != float32(p.Lambda) || other != float32(1-p.Lambda)) {
			t.Errorf("targets of sample %d: own class %v, partner's %v, want λ %v and 1−λ", i, own, other, p.Lambda)
		}
	}
}

// TestMixDrawIsSeededAndFollowsTheOptions checks reproducibility by (seed,
// epoch, batch), the switch between the two, the mixing probability, and that
// λ's mean is Beta(α, α)'s ½.
func TestMixDrawIsSeededAndFollowsTheOptions(t *testing.T) {
	m := DefaultMix(0.8, 1.0, 10)
	if a, b := m.Draw(7, 2, 5, 32, 32), m.Draw(7, 2, 5, 32, 32); a != b {
		t.Fatalf("the same batch drew %+v and %+v", a, b)
	}
	if a, b := m.Draw(7, 2, 5, 32, 32), m.Draw(7, 2, 6, 32, 32); a == b {
		t.Fatalf("two batches drew the same %+v", a)
	}
	const draws = 4000
	var cutmixes, mixed int
	var sum float64
	for i := 0; i < draws; i++ {
		p := m.Draw(1, 0, i, 32, 32)
		if p.Cutmix {
			cutmixes++
			if want := 1 - float64((p.Bottom-p.Top)*(p.Right-p.Left))/1024; p.Lambda != want {
				t.Fatalf("cutmix λ %v is not the uncovered share %v of box %+v", p.Lambda, want, p)
			}
		} else {
			sum += p.Lambda
		}
		if p.Lambda != 1 {
			mixed++
		}
		if !(p.Lambda >= 0 && p.Lambda <= 1) {
			t.Fatalf("λ %v", p.Lambda)
		}
	}
	if math.Abs(float64(cutmixes)/draws-0.5) > 0.05 {
		t.Errorf("cutmix chosen %d times of %d, want about half", cutmixes, draws)
	}
	if mean := sum / float64(draws-cutmixes); math.Abs(mean-0.5) > 0.03 {
		t.Errorf("mean mixup λ %v, want about ½", mean)
	}
	m.Prob = 0.25
	mixed = 0
	for i := 0; i < draws; i++ {
		if m.Draw(1, 0, i, 32, 32).Lambda != 1 {
			mixed++
		}
	}
	if math.Abs(float64(mixed)/draws-0.25) > 0.03 {
		t.Errorf("mixed %d batches of %d with probability ¼", mixed, draws)
	}
	// One of them alone.
	for _, only := range []Mix{DefaultMix(0, 1, 10), DefaultMix(0.2, 0, 10)} {
		for i := 0; i < 50; i++ {
			if p := only.Draw(3, 1, i, 8, 8); p.Cutmix != (only.CutmixAlpha > 0) {
				t.Fatalf("%+v drew %+v", only, p)
			}
		}
	}
}

func TestMixRejectsBadOptions(t *testing.T) {
	for _, tc := range []struct {
		m    Mix
		want string
	}{
		{Mix{MixupAlpha: -1, Prob: 1, SwitchProb: 0.5, Classes: 3}, "mixup α -1"},
		{Mix{CutmixAlpha: math.NaN(), Prob: 1, SwitchProb: 0.5, Classes: 3}, "cutmix α NaN"},
		{Mix{Prob: 1, SwitchProb: 0.5, Classes: 3}, "both off"},
		{Mix{MixupAlpha: 1, Prob: 1.5, SwitchProb: 0.5, Classes: 3}, "mix probability 1.5"},
		{Mix{MixupAlpha: 1, Prob: 1, SwitchProb: -0.1, Classes: 3}, "switch probability -0.1"},
		{Mix{MixupAlpha: 1, Prob: 1, SwitchProb: 0.5}, "number of classes"},
	} {
		if err := tc.m.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one containing %q", tc.m, err, tc.want)
		}
	}
	b := mixBatch(rand.New(rand.NewPCG(1, 1)), 2, 1, 2, 2, 3)
	b.Labels[1] = 5
	if err := DefaultMix(1, 0, 3).Apply(MixParams{Lambda: 0.5}, b, make([]float32, 6)); err == nil || !strings.Contains(err.Error(), "label 5 of sample 1") {
		t.Errorf("bad label: error %v", err)
	}
	if err := DefaultMix(1, 0, 3).Apply(MixParams{Lambda: 0.5}, b, make([]float32, 5)); err == nil || !strings.Contains(err.Error(), "5 target values") {
		t.Errorf("short targets: error %v", err)
	}
}
