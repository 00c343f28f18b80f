package solvers

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// optionReader reads hyperparameters by their PyTorch names from a map such as a
// decoded JSON object or parsed command-line flags. It accepts float64, float32,
// int and int64 for numbers, bool, string, []float64, []int and []any of numbers
// for lists; the first wrong type is kept as the error, and finish rejects every
// option nobody asked for.
type optionReader struct {
	what string // "sgd", "StepLR": prefixes every error
	opts map[string]any
	used map[string]bool
	err  error
}

func newOptionReader(what string, opts map[string]any) *optionReader {
	return &optionReader{what: what, opts: opts, used: map[string]bool{}}
}

func (r *optionReader) lookup(name string) (any, bool) {
	r.used[name] = true
	v, ok := r.opts[name]
	return v, ok
}

func (r *optionReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("solvers: %s: "+format, append([]any{r.what}, args...)...)
	}
}

// has reports whether the option was given.
func (r *optionReader) has(name string) bool {
	_, ok := r.lookup(name)
	return ok
}

func (r *optionReader) float(name string, def float64) float64 {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	f, ok := asFloat(v)
	if !ok {
		r.fail("option %s: want a number, got %v (%T)", name, v, v)
		return def
	}
	return f
}

// int reads a whole number; JSON delivers every number as float64.
func (r *optionReader) int(name string, def int) int {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	f, ok := asFloat(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		r.fail("option %s: want a whole number, got %v", name, v)
		return def
	}
	return int(f)
}

func (r *optionReader) bool(name string, def bool) bool {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		r.fail("option %s: want true or false, got %v (%T)", name, v, v)
		return def
	}
	return b
}

func (r *optionReader) string(name, def string) string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		r.fail("option %s: want a string, got %v (%T)", name, v, v)
		return def
	}
	return s
}

// floats reads a list of numbers; a single number is a list of one.
func (r *optionReader) floats(name string, def []float64) []float64 {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	if f, ok := asFloat(v); ok {
		return []float64{f}
	}
	var out []float64
	switch list := v.(type) {
	case []float64:
		out = append(out, list...)
	case []int:
		for _, x := range list {
			out = append(out, float64(x))
		}
	case []any:
		for _, x := range list {
			f, ok := asFloat(x)
			if !ok {
				r.fail("option %s: want numbers, got %v (%T) in %v", name, x, x, v)
				return def
			}
			out = append(out, f)
		}
	default:
		r.fail("option %s: want a list of numbers, got %v (%T)", name, v, v)
		return def
	}
	return out
}

// strings reads a list of strings; a single string is a list of one.
func (r *optionReader) strings(name string, def []string) []string {
	v, ok := r.lookup(name)
	if !ok {
		return def
	}
	switch list := v.(type) {
	case string:
		return []string{list}
	case []string:
		return append([]string(nil), list...)
	case []any:
		var out []string
		for _, x := range list {
			s, ok := x.(string)
			if !ok {
				r.fail("option %s: want strings, got %v (%T) in %v", name, x, x, v)
				return def
			}
			out = append(out, s)
		}
		return out
	}
	r.fail("option %s: want a list of strings, got %v (%T)", name, v, v)
	return def
}

// finish returns the first type error, or an error naming the options that no
// reader asked for.
func (r *optionReader) finish() error {
	if r.err != nil {
		return r.err
	}
	var unknown []string
	for name := range r.opts {
		if !r.used[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		plural := ""
		if len(unknown) > 1 {
			plural = "s"
		}
		return fmt.Errorf("solvers: %s: unknown option%s %s", r.what, plural, strings.Join(unknown, ", "))
	}
	return nil
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// checker collects the first invalid hyperparameter, naming the option and value.
type checker struct {
	what string
	err  error
}

func (c *checker) fail(name string, v any, rule string) {
	if c.err == nil {
		c.err = fmt.Errorf("solvers: %s: invalid %s %v: %s", c.what, name, v, rule)
	}
}

// atLeast requires lo ≤ v < +Inf.
func (c *checker) atLeast(name string, v, lo float64) {
	if !(v >= lo) || v > math.MaxFloat64 {
		c.fail(name, v, fmt.Sprintf("must be finite and ≥ %v", lo))
	}
}

// above requires lo < v < +Inf.
func (c *checker) above(name string, v, lo float64) {
	if !(v > lo) || v > math.MaxFloat64 {
		c.fail(name, v, fmt.Sprintf("must be finite and > %v", lo))
	}
}

// in requires lo ≤ v ≤ hi, or v < hi when hiOpen.
func (c *checker) in(name string, v, lo, hi float64, hiOpen bool) {
	if hiOpen && !(v >= lo && v < hi) {
		c.fail(name, v, fmt.Sprintf("must be in [%v, %v)", lo, hi))
	} else if !hiOpen && !(v >= lo && v <= hi) {
		c.fail(name, v, fmt.Sprintf("must be in [%v, %v]", lo, hi))
	}
}
