package data

import (
	"fmt"
	"math"
	"strings"
)

// Stats are per-channel mean and standard deviation of pixel values in the [0, 1]
// scale (pixel/255), the convention of torchvision's Normalize.
type Stats struct {
	Mean, Std []float64
}

// ImageNetStats are the RGB statistics of ImageNet that torchvision models use.
var ImageNetStats = Stats{
	Mean: []float64{0.485, 0.456, 0.406},
	Std:  []float64{0.229, 0.224, 0.225},
}

// ComputeStats returns the per-channel mean and population standard deviation over
// every pixel of every image of d (call it with the training split only). It counts
// values in a histogram, so the result is exact and independent of image order.
func ComputeStats(d *Dataset) (Stats, error) {
	if d.Len() == 0 {
		return Stats{}, fmt.Errorf("data: statistics of an empty dataset")
	}
	c := d.Images[0].C
	hist := make([][256]uint64, c)
	for i, m := range d.Images {
		if m.C != c {
			return Stats{}, fmt.Errorf("data: statistics: image %d has %d channels, image 0 has %d", i, m.C, c)
		}
		for ch := range c {
			h := &hist[ch]
			for _, p := range m.Plane(ch) {
				h[p]++
			}
		}
	}
	s := Stats{Mean: make([]float64, c), Std: make([]float64, c)}
	for ch := range c {
		var count, sum, sumSq float64
		for v, k := range hist[ch] {
			x := float64(v) / 255
			count += float64(k)
			sum += float64(k) * x
			sumSq += float64(k) * x * x
		}
		mean := sum / count
		s.Mean[ch] = mean
		s.Std[ch] = math.Sqrt(max(0, sumSq/count-mean*mean))
	}
	return s, nil
}

// NormMode chooses what a Normalizer does after scaling pixels to [0, 1].
type NormMode int

const (
	// NormStandardize computes (x−μ)/σ.
	NormStandardize NormMode = iota
	// NormCenter subtracts the mean only: x−μ.
	NormCenter
	// NormNone keeps x = pixel/255.
	NormNone
)

var normModeNames = [...]string{"standardize", "center", "none"}

// String returns the name ParseNormMode reads.
func (m NormMode) String() string {
	if m < 0 || int(m) >= len(normModeNames) {
		return fmt.Sprintf("NormMode(%d)", int(m))
	}
	return normModeNames[m]
}

// ParseNormMode reads "standardize" (also "zscore"), "center" (also "mean") or "none".
func ParseNormMode(s string) (NormMode, error) {
	switch strings.ToLower(s) {
	case "standardize", "zscore":
		return NormStandardize, nil
	case "center", "mean":
		return NormCenter, nil
	case "none":
		return NormNone, nil
	}
	return 0, fmt.Errorf("data: normalization %q: want standardize, center or none", s)
}

// Normalizer converts uint8 images to float32 values with a fixed per-channel map,
// held as one 256-entry table per channel.
type Normalizer struct {
	mode  NormMode
	table [][256]float32
}

// NewNormalizer builds the conversion for mode with stats (ignored by NormNone).
// NormStandardize needs a positive σ in every channel.
func NewNormalizer(mode NormMode, stats Stats) (*Normalizer, error) {
	if mode == NormNone {
		n := &Normalizer{mode: mode, table: make([][256]float32, 1)}
		for p := range 256 {
			n.table[0][p] = float32(float64(p) / 255)
		}
		return n, nil
	}
	if mode != NormStandardize && mode != NormCenter {
		return nil, fmt.Errorf("data: unknown normalization mode %d", int(mode))
	}
	if len(stats.Mean) == 0 || (mode == NormStandardize && len(stats.Std) != len(stats.Mean)) {
		return nil, fmt.Errorf("data: %v normalization needs a mean and a standard deviation per channel, got %d and %d", mode, len(stats.Mean), len(stats.Std))
	}
	n := &Normalizer{mode: mode, table: make([][256]float32, len(stats.Mean))}
	for ch, mean := range stats.Mean {
		scale := 1.0
		if mode == NormStandardize {
			if !(stats.Std[ch] > 0) {
				return nil, fmt.Errorf("data: standardize: channel %d has standard deviation %g; use center normalization for a constant channel", ch, stats.Std[ch])
			}
			scale = 1 / stats.Std[ch]
		}
		for p := range 256 {
			n.table[ch][p] = float32((float64(p)/255 - mean) * scale)
		}
	}
	return n, nil
}

// Mode reports the normalization mode.
func (n *Normalizer) Mode() NormMode { return n.mode }

// CheckChannels reports whether images with c channels can be normalized.
func (n *Normalizer) CheckChannels(c int) error {
	if n.mode != NormNone && c != len(n.table) {
		return fmt.Errorf("data: %v normalization has statistics for %d channels, images have %d", n.mode, len(n.table), c)
	}
	return nil
}

// Apply writes the normalized values of img into dst[:img.Len()] in CHW order.
// img's channel count must pass CheckChannels.
func (n *Normalizer) Apply(dst []float32, img Image) {
	plane := img.H * img.W
	dst = dst[:img.Len()]
	for ch := range img.C {
		t := &n.table[0]
		if n.mode != NormNone {
			t = &n.table[ch]
		}
		out := dst[ch*plane : (ch+1)*plane]
		for i, p := range img.Pix[ch*plane : (ch+1)*plane] {
			out[i] = t[p]
		}
	}
}
