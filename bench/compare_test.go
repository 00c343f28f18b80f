package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestComparisonAgainstBestConfiguration checks that the report picks PyTorch's
// configuration with the highest median, not the highest single repeat, and
// prints Descent's median and range against it.
func TestComparisonAgainstBestConfiguration(t *testing.T) {
	cell := Cell{Model: "mlp", Optimizer: "adam", Normalization: "none", Device: "cpu", Batch: 64}
	cmp := Comparison{
		Descent: Result{Cell: cell, ImagesPerSec: 3000, Repeats: []float64{2900, 3000, 3100}},
		PyTorch: []TorchResult{
			{Config: TorchConfig{Threads: 1, BLASThreads: 1}, Repeats: []float64{1400, 1500, 1600}},
			{Config: TorchConfig{Threads: 2}, Repeats: []float64{100, 1000, 9000}}, // one lucky repeat
		},
		Torch:  "1.13",
		Groups: 2,
	}
	if best := cmp.Best(); best.Config != (TorchConfig{Threads: 1, BLASThreads: 1}) {
		t.Errorf("best configuration %v, want the one with the higher median", best.Config)
	}
	if r := cmp.Ratio(); r != 2 {
		t.Errorf("ratio %v, want 3000/1500 = 2", r)
	}
	var sb strings.Builder
	m := Machine{Date: time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC), CPU: "Test CPU", Cores: 2, GOMAXPROCS: 2, Load: "0.1 0.2 0.3", Go: "go1.x"}
	if err := WriteComparison(&sb, []Comparison{cmp}, m, Options{Steps: 30, Warmup: 10, Repeats: 3, Settle: 2}, "train bench -compare"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"2026-12-06 01:00 UTC", "Test CPU", "0.1 0.2 0.3", "`train bench -compare`", "each turn timed after 2 untimed steps",
		"| 3,000 (2,900–3,100) | 1,500 (1,400–1,600) (intra-op 1, OpenBLAS 1) | 2.00× |",
		"intra-op 2, OpenBLAS default: 1,000", "(in 2 groups of processes, each taking turns with Descent: not all fit in memory at once)"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, sb.String())
		}
	}
	path := filepath.Join(t.TempDir(), "c.json")
	if err := WriteComparisonJSON(path, []Comparison{cmp}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, key := range []string{`"descent"`, `"images_per_sec": 3000`, `"pytorch"`, `"config"`, `"blas_threads"`, `"blas_threads_seen"`, `"torch_version"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("JSON lacks %s: %s", key, raw)
		}
	}
}

// TestCompareTakesTurnsWithPyTorch runs a tiny cell against two PyTorch
// configurations, when a python3 with torch is installed.
func TestCompareTakesTurnsWithPyTorch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PyTorch")
	}
	if _, err := Python(); err != nil {
		t.Skip(err)
	}
	cell := Cell{Model: "mlp", Optimizer: "adam", Normalization: "none", Device: "cpu", Batch: 8}
	configs := []TorchConfig{{Threads: 1, BLASThreads: 1}, {Threads: 2, Allocator: GlibcKeep}}
	if TCMallocPath() != "" {
		configs = append(configs, TorchConfig{Threads: 2, Allocator: TCMalloc})
	}
	cmp, err := Compare(cell, CPU, Options{Steps: 2, Warmup: 1, Repeats: 2, MinRepeat: 50 * time.Millisecond, Settle: 1}, configs, PyTorchScript())
	if err != nil {
		t.Fatal(err)
	}
	if len(cmp.Descent.Repeats) != 2 || cmp.Descent.ImagesPerSec <= 0 || len(cmp.PyTorch) != len(configs) || cmp.Groups != 1 || cmp.Torch == "" || cmp.BLASCore == "" {
		t.Fatalf("%+v", cmp)
	}
	for i, r := range cmp.PyTorch {
		if r.Config != configs[i] || len(r.Repeats) != 2 || r.Repeats[0] <= 0 || r.BLASThreadsSeen < 1 {
			t.Errorf("configuration %d: %+v", i, r)
		}
	}
	if cmp.Descent.Steps <= 2 {
		t.Errorf("a repeat of 2 steps of batch 8 ran %d steps with MinRepeat 50 ms", cmp.Descent.Steps)
	}
	if got := cmp.PyTorch[0].BLASThreadsSeen; got != 1 {
		t.Errorf("OpenBLAS reported %d threads in the configuration asking for one", got)
	}
	if _, err := Compare(cell, CPU, Quick, configs, "/nonexistent/throughput.py"); err == nil {
		t.Error("a missing script was accepted")
	}

	// Where memory holds one process at a time, each configuration takes
	// its own group of rounds against Descent.
	memoryLeft = func() uint64 { return 1 }
	defer func() { memoryLeft = memAvailable }()
	cmp, err = Compare(cell, CPU, Options{Steps: 2, Warmup: 1, Repeats: 2}, configs, PyTorchScript())
	if err != nil {
		t.Fatal(err)
	}
	if cmp.Groups != len(configs) || len(cmp.Descent.Repeats) != 2*len(configs) || len(cmp.PyTorch) != len(configs) {
		t.Fatalf("one process at a time: %d groups, %d Descent repeats, %d configurations; want %d, %d, %d",
			cmp.Groups, len(cmp.Descent.Repeats), len(cmp.PyTorch), len(configs), 2*len(configs), len(configs))
	}
	for i, r := range cmp.PyTorch {
		if r.Config != configs[i] || len(r.Repeats) != 2 {
			t.Errorf("one process at a time, configuration %d: %+v", i, r)
		}
	}
}

// TestTorchConfigEnvironment checks the environment each configuration gives
// PyTorch's process: OpenBLAS's threads, glibc's thresholds only where asked
// (and none inherited otherwise), tcmalloc preloaded ahead of the caller's
// preloads; and that a process on another malloc than asked is an error.
func TestTorchConfigEnvironment(t *testing.T) {
	t.Setenv("MALLOC_MMAP_THRESHOLD_", "4096")
	t.Setenv("LD_PRELOAD", "/lib/user.so")
	t.Setenv("DESCENT_TCMALLOC", "/opt/libtcmalloc_minimal.so.4")
	has := func(env []string, kv string) bool { return slices.Contains(env, kv) }
	env := TorchConfig{Threads: 2, BLASThreads: 1}.Env()
	if !has(env, "OMP_NUM_THREADS=1") || !has(env, "OPENBLAS_NUM_THREADS=1") || has(env, "MALLOC_MMAP_THRESHOLD_=4096") || !has(env, "LD_PRELOAD=/lib/user.so") {
		t.Errorf("glibc default: %v", env)
	}
	env = TorchConfig{Threads: 2, Allocator: GlibcKeep}.Env()
	if !has(env, "MALLOC_MMAP_THRESHOLD_=1073741824") || !has(env, "MALLOC_TRIM_THRESHOLD_=1073741824") || has(env, "MALLOC_MMAP_THRESHOLD_=4096") {
		t.Errorf("glibc keeping freed memory: %v", env)
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "OMP_NUM_THREADS=") {
			t.Errorf("OpenBLAS's default threads, but %s", kv)
		}
	}
	env = TorchConfig{Threads: 2, Allocator: TCMalloc}.Env()
	if !has(env, "LD_PRELOAD=/opt/libtcmalloc_minimal.so.4 /lib/user.so") || has(env, "LD_PRELOAD=/lib/user.so") {
		t.Errorf("tcmalloc: %v", env)
	}
	for tc, want := range map[TorchConfig]string{
		{Threads: 2}: "intra-op 2, OpenBLAS default",
		{Threads: 1, BLASThreads: 1, Allocator: GlibcKeep}: "intra-op 1, OpenBLAS 1, glibc malloc keeping freed memory",
		{Threads: 2, Allocator: TCMalloc}:                  "intra-op 2, OpenBLAS default, tcmalloc",
	} {
		if got := tc.String(); got != want {
			t.Errorf("%+v is %q, want %q", tc, got, want)
		}
	}
	if err := (TorchConfig{Allocator: TCMalloc}).CheckAllocator("glibc"); err == nil {
		t.Error("a tcmalloc configuration on glibc was accepted")
	}
	if err := (TorchConfig{Allocator: GlibcKeep}).CheckAllocator("glibc"); err != nil {
		t.Error(err)
	}
	if err := (TorchConfig{}).CheckAllocator("jemalloc"); err == nil {
		t.Error("a glibc configuration on jemalloc was accepted")
	}
}

// TestOpenBLASCoreChoice checks when the PyTorch scripts force OpenBLAS's
// kernels: only where OpenBLAS fell back to pre-AVX2 ones on a CPU with AVX2.
func TestOpenBLASCoreChoice(t *testing.T) {
	py, err := Python()
	if err != nil {
		t.Skip(err)
	}
	const check = `
import openblas
avx512 = {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"}
cases = [("Prescott", avx512, "SkylakeX"), ("Prescott", {"avx2", "fma"}, "Haswell"),
         ("Sandybridge", {"avx", "avx2", "fma"}, "Haswell"), ("Haswell", avx512, None),
         ("Zen", avx512, None), ("SkylakeX", avx512, None), ("Prescott", {"sse3"}, None), ("", avx512, None)]
for detected, flags, want in cases:
    got = openblas.best_core(detected, flags)
    assert got == want, (detected, sorted(flags), got, want)
print("ok")
`
	cmd := exec.Command(py, "-c", check)
	cmd.Dir = filepath.Dir(PyTorchScript())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestProcKiB reads /proc's kB figures, as Compare's memory check does.
func TestProcKiB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	if err := os.WriteFile(path, []byte("Name:\tpython3\nVmPeak:\t  999 kB\nVmHWM:\t  123456 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := procKiB(path, "VmHWM:"); got != 123456 {
		t.Errorf("VmHWM read as %d kB", got)
	}
	if got := procKiB(path, "VmSwap:"); got != 0 {
		t.Errorf("a missing line read as %d kB", got)
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil && memAvailable() == 0 {
		t.Error("no MemAvailable in /proc/meminfo")
	}
}
