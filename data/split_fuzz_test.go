package data

import (
	"slices"
	"testing"
)

// FuzzSplit: the -split parser never panics; whatever it accepts splits any
// dataset into parts that cover every sample once, or is refused with an
// error (a split that leaves no training sample), and its String form parses
// back to the same ratios.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{"6:2:2", "8:2", "1:0", "0.8:0.1:0.1", "1:1e308:1e308", "1e-320:1:1", "NaN:1", "1::2", ":"} {
		f.Add(s, uint8(50), false)
	}
	f.Fuzz(func(t *testing.T, spec string, n uint8, official bool) {
		r, err := ParseRatios(spec)
		if err != nil {
			return
		}
		back, err := ParseRatios(r.String())
		if err != nil || back != r {
			t.Fatalf("%q → %v → %v, %v", spec, r, back, err)
		}
		var test *Dataset
		if official {
			test = indexDataset(3)
		}
		s, err := Split(indexDataset(int(n)), test, r, 7)
		if err != nil {
			return
		}
		all := append(append(sampleIDs(s.Train), sampleIDs(s.Val)...), sampleIDs(s.Test)...)
		if official {
			all = append(sampleIDs(s.Train), sampleIDs(s.Val)...)
		}
		slices.Sort(all)
		if len(all) != int(n) || s.Train.Len() < 1 {
			t.Fatalf("%q of %d samples: %d/%d/%d", spec, n, s.Train.Len(), s.Val.Len(), s.Test.Len())
		}
		for i, id := range all {
			if id != i {
				t.Fatalf("%q: sample %d appears %v", spec, i, all)
			}
		}
	})
}
