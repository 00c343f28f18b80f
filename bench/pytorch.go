package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
