package scripts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// stubBinary stands in for every binary gpu-check.sh packs: it hangs when its
// name or one of its arguments is in STUB_HANG, else it passes as a test
// binary does, and writes an empty JSON list where bench's -json points.
const stubBinary = `#!/usr/bin/env bash
name="$(basename "$0")"
for w in $STUB_HANG; do
	[[ $name == "$w" ]] && exec sleep 600
	for a in "$@"; do [[ $a == "$w" ]] && exec sleep 600; done
done
echo "--- PASS: TestStub ($name $*)"
while (($# > 1)); do
	[[ $1 == -json ]] && echo '[]' >"$2"
	shift
done
exit 0
`

// stubPython stands in for a Python with torch.
const stubPython = `#!/bin/sh
echo "Python 3.99.0, torch 9.9, CUDA 12.8, GPU visible: True"
`

// pack runs gpu-check.sh with the stub for every binary and returns the folder
// it wrote.
func pack(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"bash", "git", "gzip", "timeout", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not in PATH", tool)
		}
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "stub")
	if err := os.WriteFile(stub, []byte(stubBinary), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "pack")
	cmd := exec.Command("bash", "gpu-check.sh", out)
	cmd.Env = append(os.Environ(), "DESCENT_GPU_CHECK_STUB="+stub)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gpu-check.sh: %v\n%s", err, msg)
	}
	return out
}

// device runs run.sh then train.sh as the device tool would, with $OUT in a
// temporary folder, and returns their stdout, the results folder and the time
// both took.
func device(t *testing.T, packed string, env ...string) (string, string, time.Duration) {
	t.Helper()
	dir := t.TempDir()
	python := filepath.Join(dir, "python")
	if err := os.WriteFile(python, []byte(stubPython), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "-c", `bash "$1/run.sh"; bash "$1/train.sh"`, "_", packed)
	cmd.Env = append(os.Environ(), "OUT="+filepath.Join(dir, "out"), "DESCENT_GPU_BIN="+filepath.Join(dir, "bin"),
		"DESCENT_PYTHON="+python, "DESCENT_CUBLAS=/stub/libcublas.so.12")
	cmd.Env = append(cmd.Env, env...)
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	start := time.Now()
	_ = cmd.Run() // the scripts exit non-zero when a step fails
	return stdout.String(), filepath.Join(dir, "out", "descent-gpu"), time.Since(start)
}

// steps are the step names in the order the scripts run them ("train" is
// the gpu tests of cmd/train).
var steps = []string{"smoke", "twins", "train", "graph", "solvers", "cuda", "mnist",
	"bench-lenet64", "bench-lenet512", "bench-resnet256", "bench-resnet-tf32"}

// statuses reads the summary lines of text: step name → status.
func statuses(t *testing.T, text string) map[string]string {
	t.Helper()
	got := map[string]string{}
	var order []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "ok", "FAIL", "TIMEOUT", "SKIP":
			if _, dup := got[f[1]]; dup {
				t.Errorf("two summary lines for step %s", f[1])
			}
			got[f[1]] = f[0]
			order = append(order, f[1])
		}
	}
	if strings.Join(order, " ") != strings.Join(steps, " ") {
		t.Errorf("summary lines for %v, want one for each of %v in that order:\n%s", order, steps, text)
	}
	return got
}

// TestGPUCheckKeepsTheDeadline hangs the twin tests, one package's tests, the
// MNIST run and the comparisons with PyTorch: the scripts must end by the
// deadline, each hanging step cut at its limit or at the deadline, the steps
// after it still run while time is left, and everything done so far on
// record under $OUT.
func TestGPUCheckKeepsTheDeadline(t *testing.T) {
	const deadline = 20 * time.Second
	packed := pack(t)
	stdout, results, took := device(t, packed, "DESCENT_GPU_DEADLINE=20", "DESCENT_GPU_STEP_LIMIT=4",
		"STUB_HANG=kernels_cudaemu.test solvers.test -data-dir -compare")
	t.Logf("%v:\n%s", took, stdout)
	if took > deadline+2*time.Second {
		t.Errorf("run.sh and train.sh took %v with a deadline of %v", took, deadline)
	}
	got := statuses(t, stdout)
	for _, name := range []string{"smoke", "graph", "cuda"} {
		if got[name] != "ok" {
			t.Errorf("step %s: %s, want ok", name, got[name])
		}
	}
	for _, name := range []string{"twins", "solvers", "mnist"} {
		if got[name] != "TIMEOUT" {
			t.Errorf("hanging step %s: %s, want TIMEOUT", name, got[name])
		}
	}
	if s := got["bench-lenet64"]; s != "TIMEOUT" && s != "SKIP" {
		t.Errorf("hanging step bench-lenet64: %s, want TIMEOUT (or SKIP on a slow machine)", s)
	}
	if got["bench-resnet-tf32"] != "SKIP" {
		t.Errorf("last step: %s, want SKIP once the deadline has passed", got["bench-resnet-tf32"])
	}

	summary, err := os.ReadFile(filepath.Join(results, "summary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if s := statuses(t, string(summary)); len(s) != len(steps) {
		t.Errorf("summary.txt records %d steps, want %d", len(s), len(steps))
	}
	for _, want := range []string{"needs: Linux x86-64 with glibc >= 2.34", "host: ", "cuBLAS: /stub/libcublas.so.12",
		"python: ", "Python 3.99.0, torch 9.9, CUDA 12.8"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary.txt lacks %q:\n%s", want, summary)
		}
	}
	tests, err := os.ReadFile(filepath.Join(results, "tests.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"=== smoke:", "--- PASS: TestStub (cuda.test -test.v -test.timeout 4s -test.run ^TestRuntimeSmoke$)",
		"=== twins:", "--- PASS: TestStub (cuda.test -test.v -test.timeout 4s -test.skip ^TestRuntimeSmoke$)"} {
		if !strings.Contains(string(tests), want) {
			t.Errorf("tests.log lacks %q:\n%s", want, tests)
		}
	}
}

// TestGPUCheckRecordsEveryStep runs the scripts with nothing hanging: every
// step passes, and the files under $OUT stay within the device tool's eight.
func TestGPUCheckRecordsEveryStep(t *testing.T) {
	stdout, results, took := device(t, pack(t), "DESCENT_GPU_STEP_LIMIT=10")
	t.Logf("%v:\n%s", took, stdout)
	for name, status := range statuses(t, stdout) {
		if status != "ok" {
			t.Errorf("step %s: %s, want ok", name, status)
		}
	}
	files, err := os.ReadDir(results)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name())
	}
	if len(names) > 8 {
		t.Errorf("%d files under $OUT (%v): the device tool brings back 8", len(names), names)
	}
	for _, want := range []string{"summary.txt", "tests.log", "train.log", "bench-lenet64.json", "bench-resnet256-tf32.json"} {
		if _, err := os.Stat(filepath.Join(results, want)); err != nil {
			t.Errorf("no %s under $OUT: %v", want, err)
		}
	}
}
