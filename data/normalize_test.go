package data

import (
	"math"
	"strings"
	"testing"
)

// randomDataset has n images of c×h×w with pseudo-random pixels, biased per channel.
func randomDataset(n, c, h, w int, seed uint32) *Dataset {
	d := slabDataset(make([]uint8, n*c*h*w), n, c, h, w, []string{"x"})
	x := seed
	for _, m := range d.Images {
		for i := range m.Pix {
			x = x*1664525 + 1013904223
			m.Pix[i] = uint8(x>>24) / uint8(1+i/(h*w))
		}
	}
	return d
}

func TestComputeStatsMatchesTwoPass(t *testing.T) {
	d := randomDataset(7, 3, 5, 4, 1)
	s, err := ComputeStats(d)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		var sum, n float64
		for _, m := range d.Images {
			for _, p := range m.Plane(c) {
				sum += float64(p) / 255
				n++
			}
		}
		mean := sum / n
		var ss float64
		for _, m := range d.Images {
			for _, p := range m.Plane(c) {
				ss += (float64(p)/255 - mean) * (float64(p)/255 - mean)
			}
		}
		std := math.Sqrt(ss / n)
		if math.Abs(s.Mean[c]-mean) > 1e-12 || math.Abs(s.Std[c]-std) > 1e-12 {
			t.Errorf("channel %d: mean %v std %v, want %v %v", c, s.Mean[c], s.Std[c], mean, std)
		}
	}
	if s.Mean[0] < s.Mean[2]*1.5 {
		t.Errorf("channel means %v should differ (test data biased per channel)", s.Mean)
	}
}

func TestNormalizerModes(t *testing.T) {
	stats := Stats{Mean: []float64{0.5, 0.25}, Std: []float64{0.2, 0.5}}
	img := Image{C: 2, H: 1, W: 3, Pix: []uint8{0, 128, 255, 10, 20, 30}}
	want := func(mode NormMode, c int, p uint8) float64 {
		x := float64(p) / 255
		switch mode {
		case NormStandardize:
			return (x - stats.Mean[c]) / stats.Std[c]
		case NormCenter:
			return x - stats.Mean[c]
		}
		return x
	}
	for _, name := range []string{"standardize", "center", "none"} {
		mode, err := ParseNormMode(name)
		if err != nil || mode.String() != name {
			t.Fatalf("ParseNormMode(%q) = %v, %v", name, mode, err)
		}
		n, err := NewNormalizer(mode, stats)
		if err != nil {
			t.Fatal(err)
		}
		if err := n.CheckChannels(2); err != nil {
			t.Fatal(err)
		}
		dst := make([]float32, 6)
		n.Apply(dst, img)
		for i, got := range dst {
			if w := want(mode, i/3, img.Pix[i]); math.Abs(float64(got)-w) > 1e-6 {
				t.Errorf("%s: value %d = %v, want %v", name, i, got, w)
			}
		}
	}
	if _, err := ParseNormMode("whiten"); err == nil || !strings.Contains(err.Error(), "whiten") {
		t.Errorf("error %v should name the bad mode", err)
	}
	if _, err := NewNormalizer(NormStandardize, Stats{Mean: []float64{0.5}, Std: []float64{0}}); err == nil {
		t.Error("zero standard deviation accepted")
	}
	n, _ := NewNormalizer(NormCenter, stats)
	if err := n.CheckChannels(3); err == nil {
		t.Error("three-channel images accepted by two-channel statistics")
	}
}
