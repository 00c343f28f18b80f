package param

import (
	"fmt"

	"gorgonia.org/tensor"
)

// Buffer is a dense, row-major array of float32 or float64 values. Exactly one of
// F32 and F64 is set, matching the dtype of the graph it belongs to.
type Buffer struct {
	Shape []int
	F32   []float32
	F64   []float64
}

// NewBuffer allocates a zeroed buffer of the given dtype and shape.
func NewBuffer(dt tensor.Dtype, shape ...int) *Buffer {
	n := 1
	for _, d := range shape {
		n *= d
	}
	b := &Buffer{Shape: append([]int(nil), shape...)}
	switch dt {
	case tensor.Float32:
		b.F32 = make([]float32, n)
	case tensor.Float64:
		b.F64 = make([]float64, n)
	default:
		panic(fmt.Sprintf("graph: unsupported dtype %v", dt))
	}
	return b
}

// Len is the number of elements.
func (b *Buffer) Len() int {
	if b.F32 != nil {
		return len(b.F32)
	}
	return len(b.F64)
}

// Dtype reports float32 or float64.
func (b *Buffer) Dtype() tensor.Dtype {
	if b.F64 != nil {
		return tensor.Float64
	}
	return tensor.Float32
}

// At returns element i as float64, whatever the dtype.
func (b *Buffer) At(i int) float64 {
	if b.F32 != nil {
		return float64(b.F32[i])
	}
	return b.F64[i]
}

// Set stores v at element i, converting to the buffer's dtype.
func (b *Buffer) Set(i int, v float64) {
	if b.F32 != nil {
		b.F32[i] = float32(v)
		return
	}
	b.F64[i] = v
}

// CopyFrom copies src's values (same length required) into b.
func (b *Buffer) CopyFrom(src *Buffer) {
	if b.Len() != src.Len() {
		panic(fmt.Sprintf("graph: copy of %d elements into %d", src.Len(), b.Len()))
	}
	switch {
	case b.F32 != nil && src.F32 != nil:
		copy(b.F32, src.F32)
	case b.F64 != nil && src.F64 != nil:
		copy(b.F64, src.F64)
	default:
		for i := 0; i < b.Len(); i++ {
			b.Set(i, src.At(i))
		}
	}
}
