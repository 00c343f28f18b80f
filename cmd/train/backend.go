package main

import (
	"fmt"

	"github.com/descent-ml/descent/graph"
)

// newBackend returns the backend for -device.
func newBackend(device string) (graph.Backend, error) {
	switch device {
	case "cpu":
		return graph.CPU{}, nil
	case "gpu":
		return nil, fmt.Errorf("built without GPU support: rebuild with -tags gpu")
	}
	return nil, fmt.Errorf("unknown device %q (want cpu or gpu)", device)
}
