package layers

import (
	"runtime"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
)

// A training step of LeNet with batch norm (batch 64, float32) allocates
// next to nothing once its program is compiled: the kernels' scratch lives
// in the program's workspace or on their stacks. Stack arrays handed to a
// function value escape to the heap, which `go build -gcflags=-m` does not
// report in generic code: the pooled batch norm's scratch planes did, 1 MB a
// step and a garbage collection every 1.5 s of training.
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
	const steps = 5
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range steps {
		step()
	}
	runtime.ReadMemStats(&after)
	if perStep := (after.TotalAlloc - before.TotalAlloc) / steps; perStep > 64<<10 {
		t.Errorf("%d bytes allocated a training step", perStep)
	}
}
