package main

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// newBackend returns the backend for -device, for model m. The CPU build has
// no GPU backend: graph.NewCUDA then says to rebuild with -tags gpu.
func newBackend(device string, m *graph.Model) (graph.Backend, error) {
	switch device {
	case "cpu":
		return graph.CPU{}, nil
	case "gpu":
		return graph.NewCUDA(m, 0)
	}
	return nil, fmt.Errorf("unknown device %q (want cpu or gpu)", device)
}
