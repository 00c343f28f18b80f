//go:build gpu

package graph

import (
	"testing"

	"github.com/descent-ml/descent/cuda"
	"github.com/descent-ml/descent/kernels/ptx"
)

// testRuntime is GPU 0, with graph capture, for one test.
func testRuntime(t *testing.T) deviceRuntime {
	t.Helper()
	rt, err := cuda.NewRuntime(0, ptx.Module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rt.Close(); err != nil {
			t.Error(err)
		}
	})
	return rt
}
