package data

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestParseRatios(t *testing.T) {
	good := map[string]Ratios{
		"6:2:2":       {6, 2, 2},
		"5:3:2":       {5, 3, 2},
		"8:2":         {8, 2, 0},
		"0.8:0.1:0.1": {0.8, 0.1, 0.1},
		" 7 : 3 ":     {7, 3, 0},
		"1:0:0":       {1, 0, 0},
	}
	for s, want := range good {
		got, err := ParseRatios(s)
		if err != nil || got != want {
			t.Errorf("ParseRatios(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	bad := map[string]string{
		"6:x:2":   `"x"`,
		"6":       "train:val",
		"6:2:2:1": "train:val",
		"6:-1:2":  `"-1"`,
		"0:5:5":   "training part",
		"6:NaN":   `"NaN"`,
		"inf:1":   `"inf"`,
		"":        "train:val",
	}
	for s, mention := range bad {
		_, err := ParseRatios(s)
		if err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("ParseRatios(%q): error %v should mention %s", s, err, mention)
		}
	}
}

// indexDataset has n one-pixel images whose value identifies the sample.
func indexDataset(n int) *Dataset {
	d := slabDataset(make([]uint8, n), n, 1, 1, 1, []string{"a", "b", "c"})
	for i := range n {
		d.Images[i].Pix[0] = uint8(i)
		d.Labels[i] = i % 3
	}
	return d
}

func sampleIDs(d *Dataset) []int {
	ids := make([]int, d.Len())
	for i, m := range d.Images {
		ids[i] = int(m.Pix[0])
	}
	return ids
}

func TestSplitProportionsAndCoverage(t *testing.T) {
	cases := []struct {
		ratios        string
		n             int
		official      bool
		train, val, t int
	}{
		{"6:2:2", 200, false, 120, 40, 40},
		{"5:3:2", 200, false, 100, 60, 40},
		{"8:2", 200, false, 160, 40, 0},
		{"6:2:2", 200, true, 150, 50, 30}, // official test set of 30; 200 split 6:2
		{"1:1:1", 10, false, 4, 3, 3},
		{"1:0", 7, false, 7, 0, 0},
	}
	for _, c := range cases {
		r, err := ParseRatios(c.ratios)
		if err != nil {
			t.Fatal(err)
		}
		var official *Dataset
		if c.official {
			official = indexDataset(30)
		}
		s, err := Split(indexDataset(c.n), official, r, 42)
		if err != nil {
			t.Fatal(err)
		}
		if s.Train.Len() != c.train || s.Val.Len() != c.val || s.Test.Len() != c.t {
			t.Errorf("%s of %d (official test %v): sizes %d/%d/%d, want %d/%d/%d", c.ratios, c.n, c.official,
				s.Train.Len(), s.Val.Len(), s.Test.Len(), c.train, c.val, c.t)
		}
		if c.official && s.Test != official {
			t.Errorf("%s: the official test set must stay the test set", c.ratios)
		}
		// Every sample lands in exactly one split, with its own label, in order.
		parts := [][]int{sampleIDs(s.Train), sampleIDs(s.Val)}
		if !c.official {
			parts = append(parts, sampleIDs(s.Test))
		}
		var all []int
		for _, p := range parts {
			if !slices.IsSorted(p) {
				t.Errorf("%s: split not in dataset order: %v", c.ratios, p)
			}
			all = append(all, p...)
		}
		slices.Sort(all)
		for i, id := range all {
			if id != i {
				t.Fatalf("%s: samples %v do not cover 0..%d once each", c.ratios, all, c.n-1)
			}
		}
		for _, d := range []*Dataset{s.Train, s.Val, s.Test} {
			for i, id := range sampleIDs(d) {
				if d.Labels[i] != id%3 {
					t.Fatalf("%s: sample %d has label %d", c.ratios, id, d.Labels[i])
				}
			}
		}
	}
}

func TestSplitReproducible(t *testing.T) {
	r := Ratios{Train: 6, Val: 2, Test: 2}
	a, _ := Split(indexDataset(100), nil, r, 7)
	b, _ := Split(indexDataset(100), nil, r, 7)
	c, _ := Split(indexDataset(100), nil, r, 8)
	if !slices.Equal(sampleIDs(a.Val), sampleIDs(b.Val)) || !slices.Equal(sampleIDs(a.Test), sampleIDs(b.Test)) {
		t.Error("the same seed gave different splits")
	}
	if slices.Equal(sampleIDs(a.Val), sampleIDs(c.Val)) {
		t.Error("seeds 7 and 8 gave the same validation split")
	}
	// The split is a random draw, not a block: validation samples spread over the data.
	if ids := sampleIDs(a.Val); ids[len(ids)-1]-ids[0] < 50 {
		t.Errorf("validation samples %v are not spread", ids)
	}
}

func TestSplitRandomness(t *testing.T) {
	// Over many seeds each sample goes to validation with probability 2/10.
	const n, seeds = 20, 2000
	var inVal [n]int
	for seed := range uint64(seeds) {
		s, err := Split(indexDataset(n), nil, Ratios{Train: 6, Val: 2, Test: 2}, seed)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range sampleIDs(s.Val) {
			inVal[id]++
		}
	}
	for id, k := range inVal {
		p := float64(k) / seeds
		if sd := math.Sqrt(0.2 * 0.8 / seeds); math.Abs(p-0.2) > 5*sd {
			t.Errorf("sample %d in validation %.3f of the time, want 0.2", id, p)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	if _, err := Split(indexDataset(2), nil, Ratios{Train: 0.1, Val: 1, Test: 1}, 1); err == nil || !strings.Contains(err.Error(), "no training sample") {
		t.Errorf("error %v should say no training sample", err)
	}
	if _, err := Split(indexDataset(2), nil, Ratios{Train: -1, Val: 1}, 1); err == nil {
		t.Error("negative ratio accepted")
	}
}
