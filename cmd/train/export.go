package main

import (
	"encoding/binary"
	"math"
	"os"

	"github.com/nlpodyssey/safetensors"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/runfolder"
)

// exportSafetensors writes every parameter (running statistics included) under
// its PyTorch name and layout, so that torch's load_state_dict accepts it.
func exportSafetensors(path string, params []*graph.Param) error {
	views := make(map[string]safetensors.TensorView, len(params))
	for _, p := range params {
		raw := make([]byte, 0, 4*len(p.Value.F32))
		for _, v := range p.Value.F32 {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		shape := make([]uint64, len(p.Value.Shape))
		for i, d := range p.Value.Shape {
			shape[i] = uint64(d)
		}
		v, err := safetensors.NewTensorView(safetensors.F32, shape, raw)
		if err != nil {
			return err
		}
		views[p.Name] = v
	}
	return runfolder.WriteAtomic(path, func(f *os.File) error {
		return safetensors.SerializeToWriter(views, map[string]string{"format": "pt"}, f)
	})
}
