package recipe

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
)

// TestClassWeightsAuto: auto weighs each class by the inverse of its
// frequency in the training split, scaled to mean 1 over the classes present;
// an absent class gets 0.
func TestClassWeightsAuto(t *testing.T) {
	c := DefaultConfig()
	c.ClassWeights = "auto"
	labels := labelled{0, 0, 0, 0, 1, 1, 2, 0, 1, 0} // counts 6, 3, 1, 0
	if err := c.resolveClassWeights(labels, 4); err != nil {
		t.Fatal(err)
	}
	// 1/6, 1/3, 1 scaled by 3/(1/6+1/3+1) = 2
	want := []float64{1.0 / 3, 2.0 / 3, 2, 0}
	for k, w := range want {
		if math.Abs(c.ClassWeightValues[k]-w) > 1e-15 {
			t.Errorf("weights %v, want %v", c.ClassWeightValues, want)
			break
		}
	}
	// A resumed run keeps its resolved weights, whatever its training split.
	if err := c.resolveClassWeights(labelled{3, 3}, 4); err != nil || c.ClassWeightValues[0] != 1.0/3 {
		t.Errorf("resolved again: %v, %v", c.ClassWeightValues, err)
	}
	if err := c.resolveClassWeights(labels, 5); err == nil || !strings.Contains(err.Error(), "4 weights for the 5 classes") {
		t.Errorf("4 weights for 5 classes: %v", err)
	}
}

// labelled is a data.Source of labels only.
type labelled []int

func (l labelled) Len() int                                   { return len(l) }
func (l labelled) Label(i int) int                            { return l[i] }
func (l labelled) Name(i int) string                          { return "" }
func (l labelled) ImageShape(int) (int, int, int, error)      { return 1, 1, 1, nil }
func (l labelled) Image(int, *data.Image) (data.Image, error) { return data.Image{}, nil }

// TestClassWeightsFile: a file's weights are read in class order, separated
// by white space or commas; bad files are one error naming the flag.
func TestClassWeightsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "w.txt")
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	w, err := readClassWeights(write("1, 2.5\n0\t4\r\n"))
	if err != nil || len(w) != 4 || w[0] != 1 || w[1] != 2.5 || w[2] != 0 || w[3] != 4 {
		t.Errorf("weights %v, %v", w, err)
	}
	for content, mention := range map[string]string{
		"":        "no weights",
		"0 0 0":   "every weight is 0",
		"1 -1":    "weight 2",
		"1 Inf":   "weight 2",
		"1 NaN 2": "weight 2",
		"1 x":     `"x"`,
		"1;2":     `"1;2"`,
	} {
		if _, err := readClassWeights(write(content)); err == nil || !strings.Contains(err.Error(), mention) || !strings.Contains(err.Error(), "-class-weights") {
			t.Errorf("%q: error %v should name -class-weights and %s", content, err, mention)
		}
	}
	if _, err := readClassWeights(write(strings.Repeat("1 ", maxClassWeightsBytes))); err == nil || !strings.Contains(err.Error(), "larger") {
		t.Errorf("a huge file: %v", err)
	}
}
