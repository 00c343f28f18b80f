package layers

import (
	"math"
	"runtime"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// A training step of LeNet with batch norm (batch 64, float32) allocates
// next to nothing once its program is compiled: the kernels' scratch lives
// in the program's workspace or on their stacks. Stack arrays handed to a
// function value escape to the heap, which `go build -gcflags=-m` does not
// report in generic code: the pooled batch norm's scratch planes did, 550 KB
// a step and a garbage collection every 1.5 s of training.
func TestTrainStepAllocatesLittle(t *testing.T) {
	m, err := Build(LeNet(LeNetConfig{Channels: 1, Height: 28, Width: 28, Classes: 10, BatchNorm: true}), []int{64, 1, 28, 28}, tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, labels, _, _ := lenetBatch(tensor.Float32, 64, 1)
	mc := graph.NewMachine(m, graph.CPU{})
	step := func() {
		if _, _, err := mc.TrainStep(x, labels); err != nil {
			t.Fatal(err)
		}
	}
	step() // compiles and plans the program
	step()
	// The least of three rounds: a GEMM's packing scratch comes from a
	// sync.Pool, which misses now and then when other processes preempt
	// the workers (about 200 KB then); an allocation of the step's own
	// shows in every round.
	const steps, rounds = 5, 3
	least := uint64(math.MaxUint64)
	for range rounds {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range steps {
			step()
		}
		runtime.ReadMemStats(&after)
		least = min(least, (after.TotalAlloc-before.TotalAlloc)/steps)
	}
	if least > 64<<10 {
		t.Errorf("%d bytes allocated a training step", least)
	}
}
