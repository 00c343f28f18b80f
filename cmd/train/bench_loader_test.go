package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestBenchLoader: bench -loader prints one line of positive figures per
// worker count, and its flags are checked.
func TestBenchLoader(t *testing.T) {
	var out strings.Builder
	if err := (loaderBench{images: 8, maxWorkers: 2, epochs: 1}).run(&out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(strings.TrimSpace(lines[2]), "1 ") || !strings.HasPrefix(strings.TrimSpace(lines[3]), "2 ") {
		t.Fatalf("bench -loader printed:\n%s", out.String())
	}
	for _, l := range lines[2:] {
		var workers int
		var perSec, perCPU float64
		if n, _ := fmt.Sscan(l, &workers, &perSec, &perCPU); n != 3 || !(perSec > 0) || !(perCPU > 0) {
			t.Errorf("line %q", l)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "-loader", "-loader-images", "0"}, "flag -loader-images"},
		{[]string{"bench", "-loader", "-loader-workers", "-1"}, "flag -loader-workers"},
		{[]string{"bench", "-loader", "-loader-epochs", "0"}, "flag -loader-epochs"},
	} {
		if err := dispatch(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("train %s: %v", strings.Join(c.args, " "), err)
		}
	}
}
