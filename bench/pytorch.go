package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// PyTorchScript is the path of the comparison script: $DESCENT_TORCH_SCRIPT,
// else its place in the repository the binary was built from.
func PyTorchScript() string {
	if p := os.Getenv("DESCENT_TORCH_SCRIPT"); p != "" {
		return p
	}
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "pytorch", "throughput.py")
}

// Python finds an interpreter that imports torch: $DESCENT_PYTHON, then
// Debian's /usr/bin/python3 (where python3-torch installs), then python3.
func Python() (string, error) {
	cands := []string{os.Getenv("DESCENT_PYTHON"), "/usr/bin/python3", "python3"}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if err := exec.Command(c, "-c", "import torch").Run(); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("no python3 with torch found (install Debian's python3-torch, or set DESCENT_PYTHON)")
}

// PyTorch measures the cells in PyTorch eager mode with the same steps,
// warm-up and repeats, one interpreter per cell.
func PyTorch(cells []Cell, opt Options, script string) ([]Result, error) {
	py, err := Python()
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, c := range cells {
		device := c.Device
		if device == "gpu" {
			device = "cuda"
		}
		cmd := exec.Command(py, script, "--models", c.Model, "--optimizers", c.Optimizer, "--norms", c.Normalization,
			"--device", device, "--batch", fmt.Sprint(c.Batch), "--steps", fmt.Sprint(opt.Steps),
			"--warmup", fmt.Sprint(opt.Warmup), "--repeats", fmt.Sprint(opt.Repeats))
		if c.TF32 {
			cmd.Args = append(cmd.Args, "--tf32")
		}
		// Debian's torch calls a multithreaded OpenBLAS from inside its own
		// OpenMP threads; on two cores that oversubscription costs PyTorch up to
		// 4×. One BLAS thread is its best setting here, unless the caller says
		// otherwise.
		cmd.Env = os.Environ()
		if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
			cmd.Env = append(cmd.Env, "OPENBLAS_NUM_THREADS=1")
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		stdout, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %v: %s", script, err, strings.TrimSpace(stderr.String()))
		}
		for s := bufio.NewScanner(bytes.NewReader(stdout)); s.Scan(); {
			var r Result
			if err := json.Unmarshal(s.Bytes(), &r); err != nil {
				return nil, fmt.Errorf("%s printed %q: %w", script, s.Text(), err)
			}
			r.Device = c.Device
			out = append(out, r)
		}
	}
	return out, nil
}
