package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// Ratios are the relative sizes of the training, validation and test splits.
type Ratios struct {
	Train, Val, Test float64
}

// ParseRatios reads "train:val:test" or "train:val" proportions such as "6:2:2",
// "5:3:2", "8:2" or "0.8:0.1:0.1". Parts are non-negative numbers, training's
// positive; they need not sum to anything in particular.
func ParseRatios(s string) (Ratios, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return Ratios{}, fmt.Errorf("data: split ratios %q: want train:val or train:val:test, such as 6:2:2", s)
	}
	var v [3]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsInf(x, 0) || math.IsNaN(x) || x < 0 {
			return Ratios{}, fmt.Errorf("data: split ratios %q: part %d %q is not a non-negative number", s, i+1, p)
		}
		v[i] = x
	}
	if v[0] == 0 {
		return Ratios{}, fmt.Errorf("data: split ratios %q: the training part must be positive", s)
	}
	return Ratios{Train: v[0], Val: v[1], Test: v[2]}, nil
}

// String formats r as ParseRatios reads it.
func (r Ratios) String() string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return f(r.Train) + ":" + f(r.Val) + ":" + f(r.Test)
}

// Splits are the three sets a training run uses. Val and Test may be empty, never nil.
type Splits struct {
	Train, Val, Test *Dataset
}

// Split divides the data by r with a permutation drawn from seed (see the package
// documentation for the exact rule). test is the official test set, or nil when the
// dataset has none; when given it becomes Splits.Test as it is and r.Test is ignored.
// The splits share pixel memory with train and test.
func Split(train, test *Dataset, r Ratios, seed uint64) (Splits, error) {
	trainIdx, valIdx, testIdx, err := splitIndices(train.Len(), test != nil, r, seed)
	if err != nil {
		return Splits{}, err
	}
	s := Splits{Train: train.Subset(trainIdx), Val: train.Subset(valIdx), Test: test}
	if test == nil {
		s.Test = train.Subset(testIdx)
	}
	return s, nil
}

// splitIndices draws the rule of Split for n samples: the indices of each
// split, each in increasing order (test's empty when haveTest).
func splitIndices(n int, haveTest bool, r Ratios, seed uint64) (train, val, test []int, err error) {
	if r.Train <= 0 || r.Val < 0 || r.Test < 0 {
		return nil, nil, nil, fmt.Errorf("data: split ratios %v: parts must be non-negative, training's positive", r)
	}
	testPart := r.Test
	if haveTest {
		testPart = 0
	}
	// Ratios are scaled by their largest first, so that huge parts (1e308)
	// cannot overflow the sum and tiny ones cannot make it zero.
	top := max(r.Train, r.Val, testPart)
	trainPart, valPart, testPart := r.Train/top, r.Val/top, testPart/top
	sum := trainPart + valPart + testPart
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return nil, nil, nil, fmt.Errorf("data: split ratios %v are not finite", r)
	}
	nVal := int(math.Round(float64(n) * valPart / sum))
	nTest := int(math.Round(float64(n) * testPart / sum))
	nTrain := n - nVal - nTest
	if nTrain < 1 {
		return nil, nil, nil, fmt.Errorf("data: split %v of %d samples leaves no training sample", r, n)
	}
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(n)
	sorted := func(indices []int) []int {
		slices.Sort(indices)
		return indices
	}
	return sorted(perm[:nTrain]), sorted(perm[nTrain : nTrain+nVal]), sorted(perm[nTrain+nVal:]), nil
}

// splitStream separates the split's random stream from others drawn from the same seed.
const splitStream = 0x73706c6974 // "split"
