package weights

import (
	"encoding/binary"
	"io"
	"math"
	"strings"

	"github.com/nlpodyssey/safetensors"

	"github.com/descent-ml/descent/graph"
)

// WriteSafetensors writes parameters and buffers (a model's Params, or
// averaged weights of the same names) as a torchvision state_dict in float32
// under their names, with a num_batches_tracked counter
// (set to batchesTracked, the number of training steps) beside every batch
// norm's running statistics, so that load_state_dict(strict=True) accepts it.
func WriteSafetensors(w io.Writer, params []*graph.Param, batchesTracked int64) error {
	views := make(map[string]view, len(params))
	for _, p := range params {
		raw := make([]byte, 0, 4*p.Value.Len())
		for i := range p.Value.Len() {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(p.Value.At(i))))
		}
		shape := make([]uint64, len(p.Value.Shape))
		for i, d := range p.Value.Shape {
			shape[i] = uint64(d)
		}
		views[p.Name] = view{safetensors.F32, shape, raw}
		if prefix, ok := strings.CutSuffix(p.Name, "running_mean"); ok {
			views[prefix+"num_batches_tracked"] = view{safetensors.I64, []uint64{}, binary.LittleEndian.AppendUint64(nil, uint64(batchesTracked))}
		}
	}
	return safetensors.SerializeToWriter(views, map[string]string{"format": "pt"}, w)
}

// view is a tensor to serialize. The library's own TensorView counts a 0-d
// shape as no elements, so it cannot hold num_batches_tracked, a 0-d int64.
type view struct {
	dtype safetensors.DType
	shape []uint64
	data  []byte
}

func (v view) DType() safetensors.DType { return v.dtype }
func (v view) Shape() []uint64          { return v.shape }
func (v view) Data() []byte             { return v.data }
func (v view) DataLen() uint64          { return uint64(len(v.data)) }
