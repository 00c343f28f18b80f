package evaluation

import (
	"encoding/csv"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// A model that always predicts "cat" has a known report: one column of the
// confusion matrix, cat's precision its share of the samples and recall 1,
// every other class 0.
func TestReportOfAModelForcedToOneClass(t *testing.T) {
	r, err := New([]string{"ant", "bee", "cat"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	labels := []int{0, 0, 1, 1, 1, 2}
	logits := slices.Repeat([]float32{0, 1, 5}, len(labels))
	// Two batches, given out of order of their sample indices.
	if err := r.Add(logits[9:], labels[3:], []int{3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if err := r.Add(logits[:9], labels[:3], []int{0, 1, 2}); err != nil {
		t.Fatal(err)
	}
	want := [][]int{{0, 0, 2}, {0, 0, 3}, {0, 0, 1}}
	for k := range want {
		if !slices.Equal(r.Confusion[k], want[k]) {
			t.Fatalf("confusion %v, want %v", r.Confusion, want)
		}
	}
	s := r.Summary()
	if s.N != 6 || !near(s.Top1, 1.0/6) || s.Top5 != 1 { // three classes are all in the top 5
		t.Fatalf("n %d top-1 %v top-5 %v", s.N, s.Top1, s.Top5)
	}
	cat := ClassMetrics{Class: "cat", Precision: 1.0 / 6, Recall: 1, F1: 2.0 / 7, Support: 1}
	for c, m := range s.PerClass {
		w := ClassMetrics{Class: r.Classes[c], Support: []int{2, 3, 1}[c]}
		if c == 2 {
			w = cat
		}
		if m.Class != w.Class || m.Support != w.Support || !near(m.Precision, w.Precision) || !near(m.Recall, w.Recall) || !near(m.F1, w.F1) {
			t.Errorf("class %d: %+v, want %+v", c, m, w)
		}
	}
	if !near(s.MacroF1, 2.0/21) {
		t.Errorf("macro F1 %v, want 2/21", s.MacroF1)
	}
	var text strings.Builder
	if err := s.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	wantText := "class  precision  recall  f1-score  support\n" +
		"  ant     0.0000  0.0000    0.0000        2\n" +
		"  bee     0.0000  0.0000    0.0000        3\n" +
		"  cat     0.1667  1.0000    0.2857        1\n" +
		"top-1 accuracy 0.1667, top-5 accuracy 1.0000, macro F1 0.0952, 6 samples\n"
	if text.String() != wantText {
		t.Errorf("text report:\n%s\nwant:\n%s", text.String(), wantText)
	}
	// Five mistakes of equal confidence: the three smallest indices are kept.
	p := math.Exp(5) / (1 + math.E + math.Exp(5))
	got := r.Mistakes()
	if len(got) != 3 {
		t.Fatalf("mistakes %v", got)
	}
	for i, m := range got {
		if m.Sample != i || m.True != labels[i] || m.Pred != 2 || math.Abs(m.Probability-p) > 1e-7 {
			t.Errorf("mistake %d: %+v, want sample %d predicted 2 with %v", i, m, i, p)
		}
	}
}

// One-hot predictions drawn from a given confusion matrix give that matrix
// and the precision, recall and F1 computed by hand from it.
func TestReportPerClassFigures(t *testing.T) {
	confusion := [][]int{{5, 1, 0}, {2, 3, 1}, {0, 0, 4}}
	r, err := New([]string{"a", "b", "c"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	for tc, row := range confusion {
		for p, n := range row {
			for range n {
				logits := []float32{-1, -1, -1}
				logits[p] = 2
				if err := r.Add(logits, []int{tc}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	s := r.Summary()
	precision := []float64{5.0 / 7, 3.0 / 4, 4.0 / 5}
	recall := []float64{5.0 / 6, 3.0 / 6, 4.0 / 4}
	for c, m := range s.PerClass {
		f1 := 2 * precision[c] * recall[c] / (precision[c] + recall[c])
		if !near(m.Precision, precision[c]) || !near(m.Recall, recall[c]) || !near(m.F1, f1) || m.Support != []int{6, 6, 4}[c] {
			t.Errorf("class %d: %+v, want precision %v recall %v F1 %v", c, m, precision[c], recall[c], f1)
		}
	}
	if !near(s.Top1, 12.0/16) || len(r.Mistakes()) != 0 {
		t.Errorf("top-1 %v, %d mistakes kept (none asked)", s.Top1, len(r.Mistakes()))
	}
}

// Top-5 among seven classes: the true class is in it when fewer than five
// classes score higher, ties counting for the smaller index.
func TestTop5(t *testing.T) {
	r, err := New(strings.Split("a b c d e f g", " "), 0)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		logits []float32
		label  int
		top5   bool
	}{
		{[]float32{7, 6, 5, 4, 3, 2, 1}, 4, true},  // fifth
		{[]float32{7, 6, 5, 4, 3, 2, 1}, 5, false}, // sixth
		{[]float32{1, 1, 1, 1, 1, 1, 1}, 4, true},  // tied with all: four smaller indices before it
		{[]float32{1, 1, 1, 1, 1, 1, 1}, 5, false}, // five before it
		{[]float32{0, 0, 9, 9, 9, 9, 0}, 0, true},  // four higher
		{[]float32{0, 0, 9, 9, 9, 9, 0}, 1, false}, // four higher and a tie with class 0 first
	}
	for _, c := range cases {
		before := r.TopK
		if err := r.Add(c.logits, []int{c.label}, nil); err != nil {
			t.Fatal(err)
		}
		if (r.TopK > before) != c.top5 {
			t.Errorf("%v, label %d: in top 5 %v, want %v", c.logits, c.label, r.TopK > before, c.top5)
		}
	}
	// Ties predict the first class, as torch.argmax does.
	if r.Confusion[4][0] != 2 || r.Confusion[5][0] != 2 || r.Confusion[0][2] != 1 || r.Confusion[1][2] != 1 {
		t.Errorf("confusion %v", r.Confusion)
	}
}

func TestReportRefusesBadInput(t *testing.T) {
	if _, err := New([]string{"one"}, 0); err == nil {
		t.Error("one class accepted")
	}
	r, _ := New([]string{"a", "b"}, 1)
	for _, c := range []struct {
		logits  []float32
		labels  []int
		samples []int
		msg     string
	}{
		{[]float32{1, 2, 3}, []int{0}, nil, "3 scores for 1 samples"},
		{[]float32{1, 2}, []int{2}, nil, "label 2"},
		{[]float32{1, float32(math.NaN())}, []int{0}, nil, "not finite"},
		{[]float32{1, 2}, []int{0}, []int{1, 2}, "2 sample indices"},
	} {
		if err := r.Add(c.logits, c.labels, c.samples); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%v: %v, want %q", c, err, c.msg)
		}
	}
}

// decodePNG checks that path is a PNG of the given size (0: any) with some
// colour that is not white, and returns it.
func decodePNG(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := m.Bounds()
	if b.Dx() < 100 || b.Dy() < 100 || w > 0 && (b.Dx() != w || b.Dy() != h) {
		t.Fatalf("%s is %d×%d, want %d×%d", path, b.Dx(), b.Dy(), w, h)
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := m.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				return m
			}
		}
	}
	t.Fatalf("%s is blank", path)
	return nil
}

func TestReportFiles(t *testing.T) {
	r, err := New([]string{"ant", "bee", "cat"}, 8)
	if err != nil {
		t.Fatal(err)
	}
	labels := []int{0, 1, 2, 0, 1, 2, 2}
	logits := []float32{3, 0, 0, 0, 0, 3, 0, 2, 0, 1, 0, 0, 0, 4, 1, 0, 1, 0, 0, 0, 1}
	if err := r.Add(logits, labels, nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := r.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "confusion.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	want := [][]string{{`true \ predicted`, "ant", "bee", "cat"}, {"ant", "2", "0", "0"}, {"bee", "0", "1", "1"}, {"cat", "0", "2", "1"}}
	if err != nil || len(rows) != len(want) {
		t.Fatalf("confusion.csv: %v %v", rows, err)
	}
	for k := range want {
		if !slices.Equal(rows[k], want[k]) {
			t.Fatalf("confusion.csv row %d: %v, want %v", k, rows[k], want[k])
		}
	}
	decodePNG(t, filepath.Join(dir, "confusion.png"), 0, 0)

	// The grid: three mistakes, grey and colour images of different sizes.
	if got := r.Mistakes(); len(got) != 3 || got[0].Sample != 1 || got[1].Sample != 2 || got[2].Sample != 5 {
		t.Fatalf("mistakes %+v, want samples 1, 2 and 5 (most confident first)", got)
	}
	images := func(sample int) (data.Image, error) {
		if sample%2 == 0 {
			return data.NewImage(1, 28, 28), nil
		}
		m := data.NewImage(3, 30, 50)
		for i := range m.Pix {
			m.Pix[i] = uint8(i * 7)
		}
		return m, nil
	}
	grid := filepath.Join(dir, "misclassified.png")
	if err := r.WriteMistakes(grid, images); err != nil {
		t.Fatal(err)
	}
	// 3 cells of (112+12)×(112+14+12) points at 96 dpi.
	decodePNG(t, grid, 3*124*96/72, 138*96/72)

	summary, err := json.Marshal(r.Summary())
	if err != nil || !strings.Contains(string(summary), `"top5":`) || !strings.Contains(string(summary), `"per_class":[{"class":"ant","precision":1,"recall":1,"f1":1,"support":2}`) {
		t.Errorf("JSON %s (%v)", summary, err)
	}
}
