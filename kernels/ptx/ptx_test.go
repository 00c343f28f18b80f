package ptx

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// sourcesHash is scripts/ptx-sources-hash.sh in Go.
func sourcesHash(t *testing.T) string {
	t.Helper()
	var names []string
	for _, pattern := range []string{"../*.cu", "../*.cuh"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			names = append(names, filepath.Base(f))
		}
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("..", n))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(n + "\n"))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestPTXIsFresh(t *testing.T) {
	recorded, err := os.ReadFile("sources.sha256")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sourcesHash(t), strings.TrimSpace(string(recorded)); got != want {
		t.Fatalf("kernels/ptx/descent.ptx was generated from other sources than kernels/*.cu (hash %s, recorded %s): run scripts/gen-ptx.sh (needs nvcc) and commit the PTX", got, want)
	}
}

// TestPTXHasEveryKernel checks that each kernel of the .cu sources is an entry
// point of the module, for compute_80.
func TestPTXHasEveryKernel(t *testing.T) {
	ptx, err := os.ReadFile("descent.ptx")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\.target sm_80$`).Match(ptx) {
		t.Error("descent.ptx does not target sm_80")
	}
	entries := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\.visible \.entry (\w+)\(`).FindAllSubmatch(ptx, -1) {
		entries[string(m[1])] = true
	}
	sources, _ := filepath.Glob("../*.cu")
	kernel := regexp.MustCompile(`(?m)^KERNEL void (\w+)\(`)
	count := 0
	for _, f := range sources {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range kernel.FindAllSubmatch(src, -1) {
			count++
			if !entries[string(m[1])] {
				t.Errorf("kernel %s of %s is not in descent.ptx", m[1], filepath.Base(f))
			}
		}
	}
	if count == 0 || count != len(entries) {
		t.Errorf("%d kernels in the sources, %d entries in descent.ptx", count, len(entries))
	}
}
