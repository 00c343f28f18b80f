package weights

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// ReadPyTorch reads a state_dict from the bytes of a file written by
// torch.save (PyTorch's zip format: a pickle, data.pkl, whose tensors refer to
// storages stored as records beside it). gopickle unpickles; this function
// resolves the storages itself, so that it can check each one's size against
// its record before allocating, and turns the result into tensors.
func ReadPyTorch(data []byte) (sd *StateDict, err error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a PyTorch zip archive: %s", oneLine(err.Error()))
	}
	// gopickle was not written for hostile input; a panic in it is a
	// malformed file.
	defer func() {
		if r := recover(); r != nil {
			sd, err = nil, fmt.Errorf("malformed pickle in the archive: %s", oneLine(fmt.Sprint(r)))
		}
	}()
	records := map[string]*zip.File{}
	var pickleFile *zip.File
	for _, f := range zr.File {
		records[f.Name] = f
		if path.Base(f.Name) == "constants.pkl" {
			return nil, fmt.Errorf("a TorchScript archive (torch.jit.save), not a state_dict saved by torch.save")
		}
		if path.Base(f.Name) == "data.pkl" {
			pickleFile = f
		}
	}
	if pickleFile == nil {
		return nil, fmt.Errorf("the zip archive has no data.pkl: not written by torch.save")
	}
	dir := path.Dir(pickleFile.Name)
	if pickleFile.UncompressedSize64 > uint64(maxInflation*len(data)+1<<20) {
		return nil, fmt.Errorf("data.pkl claims %d bytes in a file of %d", pickleFile.UncompressedSize64, len(data))
	}
	pr, err := pickleFile.Open()
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	defer pr.Close()
	pkl, err := io.ReadAll(pr)
	if err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}
	if err := checkPickle(pkl); err != nil {
		return nil, fmt.Errorf("data.pkl: %w", err)
	}

	storages := map[string]pytorch.StorageInterface{}
	u := pickle.NewUnpickler(bytes.NewReader(pkl))
	u.FindClass = findClass
	u.PersistentLoad = func(id any) (any, error) {
		return loadStorage(id, storages, func(key string) *zip.File { return records[path.Join(dir, "data", key)] }, int64(len(data)))
	}
	obj, err := u.Load()
	if err != nil {
		return nil, fmt.Errorf("unpickling data.pkl: %s", oneLine(err.Error()))
	}
	return stateDictOf(obj)
}

// findClass resolves the classes a state_dict's pickle names: tensors and
// their storages. Anything else (a pickled nn.Module, say) is refused.
func findClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return &pytorch.RebuildTensorV2{}, nil
	case "torch.FloatStorage":
		return &pytorch.FloatStorageClass{}, nil
	case "torch.DoubleStorage":
		return &pytorch.DoubleStorageClass{}, nil
	case "torch.HalfStorage":
		return &pytorch.HalfStorageClass{}, nil
	case "torch.BFloat16Storage":
		return &pytorch.BFloat16StorageClass{}, nil
	case "torch.LongStorage":
		return &pytorch.LongStorageClass{}, nil
	case "torch.IntStorage":
		return &pytorch.IntStorageClass{}, nil
	}
	return nil, fmt.Errorf("the pickle uses %s.%s, which is not part of a state_dict of float tensors (save model.state_dict(), not the model)", module, name)
}

// storageElementSize is the size in bytes of an element of each storage kind
// that findClass admits.
func storageElementSize(class any) (int64, string, bool) {
	switch class.(type) {
	case *pytorch.FloatStorageClass:
		return 4, "F32", true
	case *pytorch.DoubleStorageClass:
		return 8, "F64", true
	case *pytorch.HalfStorageClass:
		return 2, "F16", true
	case *pytorch.BFloat16StorageClass:
		return 2, "BF16", true
	case *pytorch.LongStorageClass:
		return 8, "I64", true
	case *pytorch.IntStorageClass:
		return 4, "I32", true
	}
	return 0, "", false
}

// maxInflation bounds how much larger than the whole file a storage record
// may claim to be (torch.save stores records uncompressed).
const maxInflation = 64

// loadStorage is the pickle's persistent_load: the id ('storage', class, key,
// location, size) names a record of the archive holding size elements.
func loadStorage(id any, loaded map[string]pytorch.StorageInterface, record func(key string) *zip.File, fileSize int64) (any, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() < 5 {
		return nil, fmt.Errorf("persistent id %v is not a storage reference", id)
	}
	kind, _ := t.Get(0).(string)
	class := t.Get(1)
	key, keyOK := t.Get(2).(string)
	location, _ := t.Get(3).(string)
	size, sizeOK := t.Get(4).(int)
	elem, _, classOK := storageElementSize(class)
	if kind != "storage" || !keyOK || !sizeOK || !classOK || size < 0 {
		return nil, fmt.Errorf("persistent id %v is not a storage of a supported type", id)
	}
	if s, ok := loaded[key]; ok {
		return s, nil
	}
	f := record(key)
	if f == nil {
		return nil, fmt.Errorf("storage %q: no record data/%s in the archive", key, key)
	}
	need := int64(size) * elem
	if size > 1<<40 || uint64(need) > f.UncompressedSize64 || f.UncompressedSize64 > uint64(maxInflation*fileSize+1<<20) {
		return nil, fmt.Errorf("storage %q: %d elements of %d bytes, but its record holds %d bytes (truncated or corrupt file)", key, size, elem, f.UncompressedSize64)
	}
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("storage %q: %w", key, err)
	}
	defer r.Close()
	s := class.(pytorch.StorageClassInterface).New(size, location)
	if err := s.SetFromFileWithSize(io.LimitReader(r, need), size); err != nil {
		return nil, fmt.Errorf("storage %q: reading %d bytes: %w", key, need, err)
	}
	loaded[key] = s
	return s, nil
}

// stateDictOf turns the unpickled object, a dict of tensors, into a StateDict.
func stateDictOf(obj any) (*StateDict, error) {
	sd := newStateDict()
	add := func(k, v any) error {
		name, ok := k.(string)
		if !ok {
			return fmt.Errorf("the pickled dict has a key %v of type %T, not a parameter name", k, k)
		}
		pt, ok := v.(*pytorch.Tensor)
		if !ok {
			return fmt.Errorf("entry %q is a %s, not a tensor", name, pythonType(v))
		}
		t, err := tensorOf(pt)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		return sd.add(name, t)
	}
	switch d := obj.(type) {
	case *types.OrderedDict:
		for e := d.List.Front(); e != nil; e = e.Next() {
			entry := e.Value.(*types.OrderedDictEntry)
			if err := add(entry.Key, entry.Value); err != nil {
				return nil, err
			}
		}
	case *types.Dict:
		for _, entry := range *d {
			if err := add(entry.Key, entry.Value); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("the pickle holds a %s, not a state_dict (a dict of tensors)", pythonType(obj))
	}
	return sd, nil
}

// pythonType names the Python type behind an unpickled value.
func pythonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case string:
		return "str"
	case int, int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	case *types.Dict, *types.OrderedDict:
		return "dict"
	case *types.GenericObject:
		return v.Class.Module + "." + v.Class.Name
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", v), "*")
}

// tensorOf copies a pickled tensor's elements out of its storage, following
// its offset and strides, after checking that they stay inside the storage.
func tensorOf(pt *pytorch.Tensor) (*Tensor, error) {
	if len(pt.Stride) != len(pt.Size) {
		return nil, fmt.Errorf("%d sizes but %d strides", len(pt.Size), len(pt.Stride))
	}
	n, last := 1, pt.StorageOffset
	for i, d := range pt.Size {
		if d < 0 || pt.Stride[i] < 0 || (d > 0 && n > (1<<40)/d) {
			return nil, fmt.Errorf("size %v with strides %v is invalid", pt.Size, pt.Stride)
		}
		n *= d
		if d > 0 {
			last += (d - 1) * pt.Stride[i]
		}
	}
	t := &Tensor{Shape: append([]int{}, pt.Size...)}
	var storageLen int
	var at func(int) float64
	var f32 []float32
	switch s := pt.Source.(type) {
	case *pytorch.FloatStorage:
		t.Dtype, f32, storageLen = "F32", s.Data, len(s.Data)
	case *pytorch.HalfStorage:
		t.Dtype, f32, storageLen = "F16", s.Data, len(s.Data)
	case *pytorch.BFloat16Storage:
		t.Dtype, f32, storageLen = "BF16", s.Data, len(s.Data)
	case *pytorch.DoubleStorage:
		t.Dtype, storageLen, at = "F64", len(s.Data), func(i int) float64 { return s.Data[i] }
	case *pytorch.LongStorage:
		t.Dtype, storageLen, at = "I64", len(s.Data), func(i int) float64 { return float64(s.Data[i]) }
	case *pytorch.IntStorage:
		t.Dtype, storageLen, at = "I32", len(s.Data), func(i int) float64 { return float64(s.Data[i]) }
	default:
		return nil, fmt.Errorf("storage of type %T is not supported", pt.Source)
	}
	if pt.StorageOffset < 0 || (n > 0 && last >= storageLen) {
		return nil, fmt.Errorf("size %v, strides %v and offset %d reach past its storage of %d elements", pt.Size, pt.Stride, pt.StorageOffset, storageLen)
	}
	if f32 != nil {
		t.f32 = make([]float32, n)
	} else {
		t.f64 = make([]float64, n)
	}
	if contiguous(pt.Size, pt.Stride) {
		if f32 != nil {
			copy(t.f32, f32[pt.StorageOffset:])
		} else {
			for i := range t.f64 {
				t.f64[i] = at(pt.StorageOffset + i)
			}
		}
		return t, nil
	}
	index := make([]int, len(pt.Size)) // row-major position of element i
	for i := 0; i < n; i++ {
		src := pt.StorageOffset
		for d, j := range index {
			src += j * pt.Stride[d]
		}
		if f32 != nil {
			t.f32[i] = f32[src]
		} else {
			t.f64[i] = at(src)
		}
		for d := len(index) - 1; d >= 0; d-- {
			if index[d]++; index[d] < pt.Size[d] {
				break
			}
			index[d] = 0
		}
	}
	return t, nil
}

// contiguous reports row-major strides, the layout of every tensor that
// state_dict() returns.
func contiguous(size, stride []int) bool {
	want := 1
	for d := len(size) - 1; d >= 0; d-- {
		if size[d] != 1 && stride[d] != want {
			return false
		}
		want *= size[d]
	}
	return true
}

// oneLine escapes the control characters (a newline quoted from the input,
// say) of a library's message, so that an error stays one line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
