package augment

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-ml/descent/data"
)

// memoryChildEnv names the folder a child process of
// TestLoaderMemoryIndependentOfDatasetSize streams through.
const memoryChildEnv = "DESCENT_MEMORY_CHILD"

// TestLoaderMemoryIndependentOfDatasetSize streams one epoch of 2,000 and one
// of 20,000 generated 256×256 JPEGs (ImageNet training transform to 224,
// batches of 32), each in a process of its own, and checks that their peak
// resident memory differs by less than 15%. It takes minutes: it runs only
// with DESCENT_MEMORY_TEST=1.
func TestLoaderMemoryIndependentOfDatasetSize(t *testing.T) {
	if dir := os.Getenv(memoryChildEnv); dir != "" {
		streamOnce(t, dir)
		return
	}
	if os.Getenv("DESCENT_MEMORY_TEST") == "" {
		t.Skip("set DESCENT_MEMORY_TEST=1 to stream 22,000 generated JPEGs (minutes)")
	}
	template := t.TempDir()
	const distinct = 32
	if err := WritePhotoFolder(template, distinct, 1, 256, 256, 7); err != nil {
		t.Fatal(err)
	}
	peaks := map[int]int{}
	for _, n := range []int{2000, 20000} {
		dir := t.TempDir()
		for i := range n { // hard links: 20,000 files without 20,000 encodings
			target := filepath.Join(dir, fmt.Sprintf("class%02d", i%10), fmt.Sprintf("img%06d.jpg", i))
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Link(filepath.Join(template, "class000", fmt.Sprintf("img%06d.jpg", i%distinct)), target); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestLoaderMemoryIndependentOfDatasetSize$", "-test.v")
		cmd.Env = append(os.Environ(), memoryChildEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child streaming %d images: %v\n%s", n, err, out)
		}
		peaks[n] = parsePeak(t, string(out))
		t.Logf("%d images: peak RSS %.1f MiB", n, float64(peaks[n])/1024)
	}
	small, large := float64(peaks[2000]), float64(peaks[20000])
	if diff := (large - small) / small; diff > 0.15 || diff < -0.15 {
		t.Fatalf("peak RSS %.1f MiB for 2,000 images, %.1f MiB for 20,000: differs by %.0f%%", small/1024, large/1024, 100*diff)
	}
}

// streamOnce is the child: one epoch over dir, then its peak RSS on stdout.
func streamOnce(t *testing.T, dir string) {
	src, _, err := data.OpenFolder(dir, data.StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := ImageNetTrainLoader(src, 224, 32, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MeasureLoader(l, 1); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if strings.HasPrefix(line, "VmHWM:") {
			fmt.Printf("peak_rss_kib %s\n", strings.Fields(line)[1])
			return
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
}

func parsePeak(t *testing.T, out string) int {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "peak_rss_kib "); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatal(err)
			}
			return kib
		}
	}
	t.Fatalf("no peak_rss_kib line in the child's output:\n%s", out)
	return 0
}
