//go:build gpu

package solvers_test

import (
	"testing"

	"github.com/descent-ml/descent/graph"
)

// testDevice makes backends on GPU 0.
func testDevice(*testing.T) backendMaker {
	return func(m *graph.Model) (graph.ResidentBackend, error) { return graph.NewCUDA(m, 0) }
}
