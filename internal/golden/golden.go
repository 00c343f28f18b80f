package golden

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
)

// Tensor is a reference array: shape and row-major data.
type Tensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// Dir is the folder holding the cases of a kind ("layers", "solvers", ...).
func Dir(kind string) string {
	if d := os.Getenv("DESCENT_GOLDEN_DIR"); d != "" {
		return filepath.Join(d, kind)
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "golden", kind)
}

// Case is one file: its path and raw JSON, to be decoded by the caller.
type Case struct {
	Path string
	Name string
	Raw  json.RawMessage
}

// Load returns every *.json case of a kind, sorted by name. It fails when the
// folder holds none: a silently empty golden set would test nothing.
func Load(kind string) ([]Case, error) {
	dir := Dir(kind)
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no golden cases (*.json) in %s", dir)
	}
	sort.Strings(paths)
	cases := make([]Case, 0, len(paths))
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		cases = append(cases, Case{Path: p, Name: filepath.Base(p), Raw: raw})
	}
	return cases, nil
}

// Tolerance returns the file's rtol/atol, relaxed for a float32 run as FORMAT.md
// allows (rtol ≥ 1e-3, atol ≥ 1e-4).
func Tolerance(rtol, atol float64, float32Run bool) (float64, float64) {
	if float32Run {
		rtol, atol = math.Max(rtol, 1e-3), math.Max(atol, 1e-4)
	}
	return rtol, atol
}

// Mismatch returns a description of the first element where got differs from
// want beyond atol + rtol·|want|, or "" when all agree.
func Mismatch(got, want []float64, rtol, atol float64) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d values, want %d", len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= atol+rtol*math.Abs(want[i])) {
			return fmt.Sprintf("element %d: got %.10g, want %.10g (|diff| %.3g)", i, got[i], want[i], d)
		}
	}
	return ""
}
