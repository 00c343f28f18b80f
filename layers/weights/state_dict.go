package weights

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Tensor is one entry of a state_dict: its shape and values, float32 for
// the files' float32, float16 and bfloat16 tensors and float64 for the
// others (float64 and the integer counters).
type Tensor struct {
	Shape []int
	Dtype string // the file's element type: F32, F64, F16, BF16, I64, …
	f32   []float32
	f64   []float64
}

// Len is the number of elements.
func (t *Tensor) Len() int { return max(len(t.f32), len(t.f64)) }

// At returns element i as a float64.
func (t *Tensor) At(i int) float64 {
	if t.f32 != nil {
		return float64(t.f32[i])
	}
	return t.f64[i]
}

// StateDict is a state_dict: tensors by name, and the names in file order.
type StateDict struct {
	Names   []string
	Tensors map[string]*Tensor
}

func (sd *StateDict) add(name string, t *Tensor) error {
	if _, dup := sd.Tensors[name]; dup {
		return fmt.Errorf("tensor %q appears twice", name)
	}
	sd.Names = append(sd.Names, name)
	sd.Tensors[name] = t
	return nil
}

func newStateDict() *StateDict { return &StateDict{Tensors: map[string]*Tensor{}} }

// zipMagic starts every zip archive, and so every .pth that torch.save writes.
var zipMagic = []byte("PK\x03\x04")

// ReadFile reads a state_dict from a .safetensors file or a .pth/.pt file
// (torch.save's zip format), told apart by their contents. Errors name the
// file.
func ReadFile(path string) (*StateDict, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sd *StateDict
	if bytes.HasPrefix(data, zipMagic) {
		sd, err = ReadPyTorch(data)
	} else if ext := strings.ToLower(filepath.Ext(path)); ext == ".pth" || ext == ".pt" {
		err = fmt.Errorf("not a zip archive: only torch.save's zip format is read (not the legacy format of _use_new_zipfile_serialization=False)")
	} else {
		sd, err = ReadSafetensors(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sd, nil
}
