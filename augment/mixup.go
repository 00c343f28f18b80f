package augment

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// Mix is batch-level mixup and cutmix as timm's Mixup in mode "batch": a
// batch is mixed with probability Prob; with both α > 0, cutmix is chosen
// with probability SwitchProb, else the one enabled. Sample i is mixed with
// sample N−1−i (the batch reversed). Mixup blends whole images,
// x_i = λ·x_i + (1−λ)·x_{N−1−i}, λ ~ Beta(α, α); cutmix pastes a box of the
// partner's image whose size follows λ, and then corrects λ to the share of
// the image left uncovered by the clipped box. The targets become
// λ·onehot(y_i) + (1−λ)·onehot(y_{N−1−i}); timm's label smoothing there
// equals the loss's (graph.CrossEntropyOptions.LabelSmoothing) applied to
// these soft targets.
type Mix struct {
	MixupAlpha  float64 // α of mixup's Beta(α, α); 0 turns mixup off
	CutmixAlpha float64 // α of cutmix's Beta(α, α); 0 turns cutmix off
	Prob        float64 // probability that a batch is mixed (timm's prob)
	SwitchProb  float64 // with both enabled, probability of cutmix (timm's switch_prob)
	Classes     int
}

// DefaultMix is timm's defaults (prob 1, switch_prob 0.5) for the given α's.
func DefaultMix(mixupAlpha, cutmixAlpha float64, classes int) Mix {
	return Mix{MixupAlpha: mixupAlpha, CutmixAlpha: cutmixAlpha, Prob: 1, SwitchProb: 0.5, Classes: classes}
}

// Validate reports the first option out of range, by its flag's name.
func (m Mix) Validate() error {
	switch {
	case !(m.MixupAlpha >= 0) || math.IsInf(m.MixupAlpha, 1):
		return fmt.Errorf("augment: mixup α %v must be a finite number > 0 (0 turns mixup off)", m.MixupAlpha)
	case !(m.CutmixAlpha >= 0) || math.IsInf(m.CutmixAlpha, 1):
		return fmt.Errorf("augment: cutmix α %v must be a finite number > 0 (0 turns cutmix off)", m.CutmixAlpha)
	case m.MixupAlpha == 0 && m.CutmixAlpha == 0:
		return fmt.Errorf("augment: mixup and cutmix are both off (α 0)")
	case !(m.Prob >= 0 && m.Prob <= 1):
		return fmt.Errorf("augment: mix probability %v is outside [0, 1]", m.Prob)
	case !(m.SwitchProb >= 0 && m.SwitchProb <= 1):
		return fmt.Errorf("augment: mix switch probability %v is outside [0, 1]", m.SwitchProb)
	case m.Classes < 1:
		return fmt.Errorf("augment: mixing needs the number of classes, got %d", m.Classes)
	}
	return nil
}

// MixParams is what one batch drew.
type MixParams struct {
	Lambda float64 // the share of each sample's own image and label (1: not mixed)
	Cutmix bool
	// The cutmix box, rows [Top, Bottom) and columns [Left, Right), clipped
	// to the image.
	Top, Bottom, Left, Right int
}

// Draw draws a batch's parameters for h×w images from a stream that depends
// only on the run seed, the epoch and the batch's index in its epoch, so a
// resumed run draws the same. The draws follow timm's order: whether to mix,
// which of the two, λ, then the box centre.
func (m Mix) Draw(seed uint64, epoch, batch, h, w int) MixParams {
	rng := rand.New(rand.NewPCG(mix64(seed^mix64(uint64(epoch)+0x4d1e5a9b0c3f7e21)), mix64(uint64(batch)^mix64(seed+0x2f6b8c1d9e047a53))))
	p := MixParams{Lambda: 1}
	if !(rng.Float64() < m.Prob) {
		return p
	}
	alpha := m.MixupAlpha
	switch {
	case m.MixupAlpha > 0 && m.CutmixAlpha > 0:
		p.Cutmix = rng.Float64() < m.SwitchProb
	case m.CutmixAlpha > 0:
		p.Cutmix = true
	}
	if p.Cutmix {
		alpha = m.CutmixAlpha
	}
	lam := math.NaN()
	for math.IsNaN(lam) { // both gamma draws underflow to 0 for tiny α: draw again
		lam = distuv.Beta{Alpha: alpha, Beta: alpha, Src: rng}.Rand()
	}
	p.Lambda = lam
	if p.Cutmix {
		p.Top, p.Bottom, p.Left, p.Right, p.Lambda = cutmixBox(h, w, lam, rng.IntN(h), rng.IntN(w))
	}
	return p
}

// cutmixBox is timm's rand_bbox and λ correction for a box centred at
// (cy, cx): sides ⌊h·√(1−λ)⌋ and ⌊w·√(1−λ)⌋, half of each (rounded down) on
// either side of the centre, clipped to the image; λ becomes 1 − area/(h·w).
func cutmixBox(h, w int, lam float64, cy, cx int) (top, bottom, left, right int, corrected float64) {
	ratio := math.Sqrt(1 - lam)
	cutH, cutW := int(float64(h)*ratio), int(float64(w)*ratio)
	top, bottom = min(max(cy-cutH/2, 0), h), min(max(cy+cutH/2, 0), h)
	left, right = min(max(cx-cutW/2, 0), w), min(max(cx+cutW/2, 0), w)
	corrected = 1 - float64((bottom-top)*(right-left))/float64(h*w)
	return top, bottom, left, right, corrected
}

// Apply mixes the batch's images in place with the parameters p and writes
// the soft targets, N rows of m.Classes probabilities, into targets.
func (m Mix) Apply(p MixParams, b *Batch, targets []float32) error {
	if len(targets) != b.N*m.Classes {
		return fmt.Errorf("augment: %d target values for %d samples of %d classes", len(targets), b.N, m.Classes)
	}
	for i, y := range b.Labels[:b.N] {
		if y < 0 || y >= m.Classes {
			return fmt.Errorf("augment: label %d of sample %d is not a class in [0, %d)", y, i, m.Classes)
		}
	}
	size := b.C * b.H * b.W
	own, other := float32(p.Lambda), float32(1-p.Lambda)
	for i := 0; i < b.N; i++ {
		j := b.N - 1 - i
		row := targets[i*m.Classes : (i+1)*m.Classes]
		clear(row)
		row[b.Labels[i]] += own
		row[b.Labels[j]] += other
		if j <= i || p.Lambda == 1 {
			continue // each pair once; the middle sample of an odd batch is its own partner
		}
		xi, xj := b.X[i*size:(i+1)*size], b.X[j*size:(j+1)*size]
		if !p.Cutmix {
			for k, a := range xi {
				c := xj[k]
				// Each product rounded, as PyTorch's mul_ then add_.
				xi[k] = float32(a*own) + float32(c*other)
				xj[k] = float32(c*own) + float32(a*other)
			}
			continue
		}
		for ch := 0; ch < b.C; ch++ {
			for y := p.Top; y < p.Bottom; y++ {
				at := (ch*b.H+y)*b.W + p.Left
				n := p.Right - p.Left
				for k := at; k < at+n; k++ {
					xi[k], xj[k] = xj[k], xi[k]
				}
			}
		}
	}
	return nil
}
