package weights

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/nlpodyssey/safetensors"
)

// ReadSafetensors reads a state_dict from the bytes of a .safetensors file.
// The library checks the header against the data: offsets that leave gaps,
// overlap, run past the end or disagree with a tensor's shape and dtype are
// errors.
func ReadSafetensors(data []byte) (*StateDict, error) {
	st, err := safetensors.Deserialize(data)
	if err != nil {
		return nil, fmt.Errorf("not a valid safetensors file: %s", oneLine(err.Error()))
	}
	sd := newStateDict()
	for _, v := range st.Tensors() {
		t, err := safetensorsTensor(v.TensorView)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", v.Name, err)
		}
		if err := sd.add(v.Name, t); err != nil {
			return nil, err
		}
	}
	return sd, nil
}

func safetensorsTensor(v safetensors.TensorView) (*Tensor, error) {
	t := &Tensor{Dtype: v.DType().String()}
	n := 1
	for _, d := range v.Shape() {
		if d > math.MaxInt32 {
			return nil, fmt.Errorf("dimension %d is too large", d)
		}
		t.Shape = append(t.Shape, int(d))
		n *= int(d)
	}
	raw := v.Data()
	if uint64(len(raw)) != uint64(n)*v.DType().Size() {
		return nil, fmt.Errorf("%d bytes of data for %d elements of %v", len(raw), n, v.DType())
	}
	switch v.DType() {
	case safetensors.F32:
		t.f32 = make([]float32, n)
		for i := range t.f32 {
			t.f32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case safetensors.F16, safetensors.BF16:
		t.f32 = make([]float32, n)
		for i := range t.f32 {
			h := binary.LittleEndian.Uint16(raw[2*i:])
			if v.DType() == safetensors.BF16 {
				t.f32[i] = math.Float32frombits(uint32(h) << 16)
			} else {
				t.f32[i] = halfToFloat32(h)
			}
		}
	case safetensors.F64:
		t.f64 = make([]float64, n)
		for i := range t.f64 {
			t.f64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case safetensors.I64:
		t.f64 = make([]float64, n)
		for i := range t.f64 {
			t.f64[i] = float64(int64(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case safetensors.I32:
		t.f64 = make([]float64, n)
		for i := range t.f64 {
			t.f64[i] = float64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	default:
		return nil, fmt.Errorf("element type %v is not supported (want F32, F16, BF16, F64, I64 or I32)", v.DType())
	}
	return t, nil
}

// halfToFloat32 converts an IEEE 754 half-precision value exactly.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp, frac := uint32(h>>10&0x1f), uint32(h&0x3ff)
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
	}
	// zero or subnormal: frac·2⁻²⁴
	v := float32(frac) * (1.0 / (1 << 24))
	return math.Float32frombits(sign | math.Float32bits(v))
}
