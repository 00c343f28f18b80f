//go:build gpu

package cuda

/*
#include <cuda.h>

static CUresult descent_capture_begin(CUstream s) {
	return cuStreamBeginCapture(s, CU_STREAM_CAPTURE_MODE_RELAXED);
}

// descent_capture_end ends the capture and instantiates the graph it recorded.
static CUresult descent_capture_end(CUstream s, CUgraphExec* exec) {
	CUgraph g = 0;
	CUresult r = cuStreamEndCapture(s, &g);
	if (r != CUDA_SUCCESS) return r;
	// Auto-free on launch: should a library allocate stream-ordered memory
	// during the capture, a replay frees it and the graph may run again.
	r = cuGraphInstantiateWithFlags(exec, g, CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH);
	cuGraphDestroy(g);
	return r;
}

static CUresult descent_graph_launch(CUgraphExec e, CUstream s) { return cuGraphLaunch(e, s); }
static CUresult descent_graph_destroy(CUgraphExec e) { return cuGraphExecDestroy(e); }
*/
import "C"

// Graph is an instantiated CUDA graph recorded from a stream: the launches,
// copies and cuBLAS calls queued between BeginCapture and EndCapture, replayed
// by one Launch. gorgonia.org/cu v0.9.6 builds graphs node by node but drops
// kernel arguments and has no instantiate or launch, hence capture here.
type Graph struct {
	exec C.CUgraphExec
	dev  *Device
}

// BeginCapture starts recording s's work instead of running it. The capture
// mode is relaxed, as Descent allocates nothing while it captures and Do may
// queue the work from any OS thread (one goroutine at a time: a Runtime is not
// safe for concurrent use).
func (s *Stream) BeginCapture() error {
	return s.dev.Do(func() error {
		return driverError("cuStreamBeginCapture", int(C.descent_capture_begin(rawStream(s.s))))
	})
}

// EndCapture stops recording and instantiates the graph.
func (s *Stream) EndCapture() (*Graph, error) {
	// A local rather than &g.exec: nothing handed to C lives inside a Go
	// object that holds pointers (see internal/cgocheck).
	var exec C.CUgraphExec
	err := s.dev.Do(func() error {
		return driverError("cuStreamEndCapture/cuGraphInstantiate", int(C.descent_capture_end(rawStream(s.s), &exec)))
	})
	if err != nil {
		return nil, err
	}
	return &Graph{exec: exec, dev: s.dev}, nil
}

// Launch replays the graph on stream s.
func (g *Graph) Launch(s *Stream) error {
	return g.dev.Do(func() error {
		return driverError("cuGraphLaunch", int(C.descent_graph_launch(g.exec, rawStream(s.s))))
	})
}

// Close destroys the graph.
func (g *Graph) Close() error {
	return g.dev.Do(func() error { return driverError("cuGraphExecDestroy", int(C.descent_graph_destroy(g.exec))) })
}
