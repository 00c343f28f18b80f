package bench

import (
	"fmt"
	"os"
	"slices"
	"strings"
)

// TorchConfig is one way of running PyTorch on the CPU. Its speed there
// depends on these settings more than on anything else, so a comparison holds
// only against the best of them, measured in the same run.
type TorchConfig struct {
	Threads     int       `json:"threads"`      // intra-op threads (torch.set_num_threads); 0: every core
	BLASThreads int       `json:"blas_threads"` // OpenBLAS threads (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS); 0: its default
	Allocator   Allocator `json:"allocator,omitempty"`
}

// Allocator is the memory allocator a PyTorch process runs with. PyTorch's CPU
// tensors come from malloc, and a training step allocates and frees its
// activations every time: with glibc's defaults, blocks over its mmap
// threshold go back to the kernel when freed, so every step faults its
// activations' pages in again (LeNet with batch norm, batch 64, on two cores:
// 740,000 page faults in 300 steps, 3,400 images/s; with the heap kept,
// 47,000 and 4,600).
type Allocator string

const (
	// GlibcDefault is glibc's malloc as the process finds it.
	GlibcDefault Allocator = ""
	// GlibcKeep is glibc's malloc with its mmap and trim thresholds at 1 GiB,
	// so that freed blocks stay in the process's heap for the next step.
	GlibcKeep Allocator = "glibc-keep"
	// TCMalloc is gperftools' tcmalloc (Debian's libtcmalloc-minimal4),
	// preloaded; TCMallocPath finds it.
	TCMalloc Allocator = "tcmalloc"
)

func (a Allocator) String() string {
	switch a {
	case GlibcKeep:
		return "glibc malloc keeping freed memory"
	case TCMalloc:
		return "tcmalloc"
	}
	return "glibc malloc"
}

// keepThreshold is GlibcKeep's mmap and trim threshold, in bytes.
const keepThreshold = 1 << 30

// tcmallocPaths are where distributions install tcmalloc's minimal library.
var tcmallocPaths = []string{"/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", "/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4",
	"/usr/lib64/libtcmalloc_minimal.so.4", "/usr/lib/libtcmalloc_minimal.so.4", "/usr/local/lib/libtcmalloc_minimal.so.4"}

// TCMallocPath is $DESCENT_TCMALLOC, else the first of the usual places that
// holds tcmalloc's library; "" when it is not installed.
func TCMallocPath() string {
	if p := os.Getenv("DESCENT_TCMALLOC"); p != "" {
		return p
	}
	for _, p := range tcmallocPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func (t TorchConfig) String() string {
	s := "intra-op all"
	if t.Threads > 0 {
		s = fmt.Sprintf("intra-op %d", t.Threads)
	}
	if t.BLASThreads > 0 {
		s += fmt.Sprintf(", OpenBLAS %d", t.BLASThreads)
	} else {
		s += ", OpenBLAS default"
	}
	if t.Allocator != GlibcDefault {
		s += ", " + t.Allocator.String()
	}
	return s
}

// Env is this process's environment with the OpenBLAS thread count and the
// allocator of t. Debian's OpenBLAS is the OpenMP build, which ignores
// OPENBLAS_NUM_THREADS and takes its thread count from OMP_NUM_THREADS when it
// loads; the scripts then set PyTorch's own intra-op count (their --threads).
// The glibc tunables are set for GlibcKeep and removed otherwise, so that
// GlibcDefault is glibc's default whatever the caller's environment.
func (t TorchConfig) Env() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		for _, name := range []string{"OPENBLAS_NUM_THREADS=", "OMP_NUM_THREADS=", "MALLOC_MMAP_THRESHOLD_=", "MALLOC_TRIM_THRESHOLD_="} {
			if strings.HasPrefix(kv, name) {
				return true
			}
		}
		return t.Allocator == TCMalloc && strings.HasPrefix(kv, "LD_PRELOAD=")
	})
	if t.BLASThreads > 0 {
		env = append(env, fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", t.BLASThreads), fmt.Sprintf("OMP_NUM_THREADS=%d", t.BLASThreads))
	}
	switch t.Allocator {
	case GlibcKeep:
		env = append(env, fmt.Sprintf("MALLOC_MMAP_THRESHOLD_=%d", keepThreshold), fmt.Sprintf("MALLOC_TRIM_THRESHOLD_=%d", keepThreshold))
	case TCMalloc:
		preload := TCMallocPath()
		if old := os.Getenv("LD_PRELOAD"); old != "" {
			preload += " " + old
		}
		env = append(env, "LD_PRELOAD="+preload)
	}
	return env
}

// CPUTorchConfigs are the settings tried for every CPU cell: two intra-op
// threads with one OpenBLAS thread and with OpenBLAS's default, in glibc's
// malloc as it comes and on the allocators that keep freed memory (glibc
// tuned, and tcmalloc where it is installed); then one intra-op thread, with
// both OpenBLAS settings, in glibc's malloc. Every configuration runs one
// oneDNN primitive before its warm-up (the script does it: Debian's build is
// several times slower without it). They come in that order because a cell
// whose processes do not all fit in memory leaves the last ones out (see
// Compare), and one intra-op thread has never been PyTorch's best on two
// cores. jemalloc is left out: preloaded, even with the settings Intel's
// tuning guide gives, it trained ResNet-8 at 665 images/s here against 1,737
// with glibc kept.
func CPUTorchConfigs() []TorchConfig {
	allocators := []Allocator{GlibcDefault, GlibcKeep}
	if TCMallocPath() != "" {
		allocators = append(allocators, TCMalloc)
	}
	var configs []TorchConfig
	for _, a := range allocators {
		configs = append(configs, TorchConfig{Threads: 2, BLASThreads: 1, Allocator: a}, TorchConfig{Threads: 2, Allocator: a})
	}
	return append(configs, TorchConfig{Threads: 1, BLASThreads: 1}, TorchConfig{Threads: 1})
}

// Summary is the median and range of a set of repeats.
type Summary struct {
	Median, Min, Max float64
}

// Summarize returns the median, minimum and maximum of v.
func Summarize(v []float64) Summary {
	if len(v) == 0 {
		return Summary{}
	}
	return Summary{Median: medianOf(v), Min: slices.Min(v), Max: slices.Max(v)}
}

// TorchResult is one PyTorch configuration's repeats in a cell.
type TorchResult struct {
	Config TorchConfig `json:"config"`
	// BLASThreadsSeen is the thread count OpenBLAS reported in the process
	// after the warm-up.
	BLASThreadsSeen int       `json:"blas_threads_seen"`
	Repeats         []float64 `json:"repeats"`
}

// Comparison is one cell measured in Descent and in every PyTorch
// configuration, repeat by repeat in turns.
type Comparison struct {
	Descent Result        `json:"descent"`
	PyTorch []TorchResult `json:"pytorch"`
	Torch   string        `json:"torch_version"`
	// BLASCore is the kernel set OpenBLAS ran in PyTorch's processes (the
	// script forces a better one when OpenBLAS does not know the CPU).
	BLASCore string `json:"blas_core"`
	// Groups is how many groups of PyTorch processes took turns with Descent:
	// 1 when every configuration's process fitted in memory at once, more
	// when they did not (ResNet-50 at batch 32 takes several GB each). Each
	// group runs all the rounds, so Descent has a set of repeats per group.
	Groups int `json:"groups"`
}

// Best is the PyTorch configuration with the highest median images/s.
func (c Comparison) Best() TorchResult {
	best := c.PyTorch[0]
	for _, t := range c.PyTorch[1:] {
		if medianOf(t.Repeats) > medianOf(best.Repeats) {
			best = t
		}
	}
	return best
}

// Ratio is Descent's median images/s over that of PyTorch's best configuration.
func (c Comparison) Ratio() float64 {
	return c.Descent.ImagesPerSec / medianOf(c.Best().Repeats)
}

// Compare measures cell c in Descent and in PyTorch under each configuration
// (a single default one on the GPU): Descent is built and warmed up first, to
// set the steps per repeat that both sides run, then the PyTorch processes;
// every round times one repeat of Descent followed by one of each PyTorch
// configuration, opt.Repeats rounds, so that all of them see the same machine
// state over the run. A process starts only while the memory available holds
// a quarter more than the largest PyTorch process so far took; the
// configurations that do not fit wait for a group of their own, which runs
// its rounds against Descent once the group before it has exited, rather
// than running into the kernel's OOM killer or swapping out the others.
func Compare(c Cell, newBackend BackendFor, opt Options, configs []TorchConfig, script string) (Comparison, error) {
	s, err := newStepper(c, newBackend)
	if err != nil {
		return Comparison{}, err
	}
	defer s.close()
	if c.Device == "gpu" {
		configs = []TorchConfig{{}}
	}
	if err := s.warmUp(opt.Warmup); err != nil {
		return Comparison{}, err
	}
	steps, err := s.stepsPerRepeat(opt)
	if err != nil {
		return Comparison{}, err
	}
	opt.Steps = steps
	cmp := Comparison{Descent: Result{Cell: c, Steps: steps}}
	var largest uint64 // the most memory a PyTorch process has taken
	for next := 0; next < len(configs); cmp.Groups++ {
		procs, err := startGroup(c, configs[next:], opt, script, &largest)
		if err == nil {
			err = takeTurns(s, procs, opt, &cmp, next)
		}
		for _, p := range procs {
			p.Close()
		}
		if err != nil {
			return Comparison{}, err
		}
		next += len(procs)
	}
	cmp.Descent.ImagesPerSec = medianOf(cmp.Descent.Repeats)
	return cmp, nil
}

// memoryLeft is the memory the kernel can give without swapping; tests
// replace it.
var memoryLeft = memAvailable

// startGroup starts processes for the first configurations of configs, at
// least one, as long as the memory left holds a quarter more than the
// largest process so far (which it updates).
func startGroup(c Cell, configs []TorchConfig, opt Options, script string, largest *uint64) ([]*torchProcess, error) {
	var procs []*torchProcess
	for _, tc := range configs {
		if left := memoryLeft(); len(procs) > 0 && *largest > 0 && left > 0 && left < *largest+*largest/4 {
			break
		}
		p, err := startTorch(c, tc, opt, script)
		if err != nil {
			return procs, err
		}
		*largest = max(*largest, p.PeakMemory())
		procs = append(procs, p)
	}
	return procs, nil
}

// takeTurns runs opt.Repeats rounds of Descent and the group's processes,
// which serve cmp.PyTorch[first:], first to last, appending their repeats.
func takeTurns(s *stepper, procs []*torchProcess, opt Options, cmp *Comparison, first int) error {
	for _, p := range procs {
		cmp.PyTorch = append(cmp.PyTorch, TorchResult{Config: p.config, BLASThreadsSeen: p.ready.BLASThreads})
		cmp.Torch, cmp.BLASCore = p.ready.Torch, p.ready.BLASCore
	}
	for rep := 0; rep < opt.Repeats; rep++ {
		if err := s.warmUp(opt.Settle); err != nil {
			return err
		}
		rate, err := s.repeat(opt.Steps)
		if err != nil {
			return err
		}
		cmp.Descent.Repeats = append(cmp.Descent.Repeats, rate)
		for i, p := range procs {
			rate, err := p.repeat(opt.Settle)
			if err != nil {
				return err
			}
			cmp.PyTorch[first+i].Repeats = append(cmp.PyTorch[first+i].Repeats, rate)
		}
	}
	return nil
}

// torchProcess is the comparison script serving one cell in one configuration.
type torchProcess struct {
	*TorchScript
	config TorchConfig
	ready  struct {
		Torch       string `json:"torch"`
		BLASThreads int    `json:"blas_threads"`
		BLASCore    string `json:"blas_core"`
	}
}

func startTorch(c Cell, tc TorchConfig, opt Options, script string) (*torchProcess, error) {
	device := c.Device
	if device == "gpu" {
		device = "cuda"
	}
	args := []string{"--serve", "--models", c.Model, "--optimizers", c.Optimizer, "--norms", c.Normalization,
		"--device", device, "--batch", fmt.Sprint(c.Batch), "--steps", fmt.Sprint(opt.Steps),
		"--warmup", fmt.Sprint(opt.Warmup), "--threads", fmt.Sprint(tc.Threads)}
	if c.TF32 {
		args = append(args, "--tf32")
	}
	p := &torchProcess{config: tc}
	var err error
	p.TorchScript, err = StartTorchScript(tc, script, args, &p.ready)
	return p, err
}

// CheckAllocator reports an error when a PyTorch script found another malloc in
// its process than t asked for (seen: "glibc", "tcmalloc" or "jemalloc").
func (t TorchConfig) CheckAllocator(seen string) error {
	want := "glibc"
	if t.Allocator == TCMalloc {
		want = "tcmalloc"
	}
	if seen != want {
		return fmt.Errorf("pytorch (%s) runs on %s's malloc, not %s's", t, seen, want)
	}
	return nil
}

// memAvailable is the memory the kernel can give without swapping
// (MemAvailable); 0 where /proc does not tell.
func memAvailable() uint64 { return procKiB("/proc/meminfo", "MemAvailable:") * 1024 }

// procKiB reads the kB figure of the line starting with key in a /proc file;
// 0 if there is none.
func procKiB(path, key string) uint64 {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			var kib uint64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kib)
			return kib
		}
	}
	return 0
}

// repeat has the script run settle untimed steps, then time one repeat, and
// returns its images/s.
func (p *torchProcess) repeat(settle int) (float64, error) {
	var r struct {
		ImagesPerSec float64 `json:"images_per_sec"`
	}
	err := p.Ask(fmt.Sprint("repeat ", settle), &r)
	return r.ImagesPerSec, err
}
