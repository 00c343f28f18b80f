package weights

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/descent-ml/descent/graph"
	"github.com/descent-ml/descent/internal/golden"
	"github.com/descent-ml/descent/layers"
)

// goldenWeights is a weights file of the golden model cases.
func goldenWeights(name string) string { return filepath.Join(golden.Dir("models"), name) }

// torchvisionModel builds a torchvision network at a small input size.
func torchvisionModel(t *testing.T, arch string, width float64, classes int) *graph.Model {
	t.Helper()
	net, err := layers.Torchvision(layers.TorchvisionConfig{Arch: arch, Width: width, Classes: classes})
	if err != nil {
		t.Fatal(err)
	}
	m, err := layers.Build(net, []int{1, 3, 32, 32}, tensor.Float32, 3)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestReadPyTorchLayouts reads tensors that torch.save stored with strides,
// a storage offset into a shared storage, and other element types.
func TestReadPyTorchLayouts(t *testing.T) {
	sd, err := ReadFile("testdata/layouts.pth")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name  string
		shape []int
		dtype string
		data  []float64
	}{
		{"transposed", []int{4, 3}, "F32", []float64{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}},
		{"row", []int{4}, "F32", []float64{4, 5, 6, 7}},
		{"double", []int{2}, "F64", []float64{0.1, -2.5}},
		{"half", []int{3}, "F16", []float64{1.5, -0.25, 65504}},
		{"count", nil, "I64", []float64{7}},
	}
	if !slices.Equal(sd.Names, []string{"transposed", "row", "double", "half", "count"}) {
		t.Fatalf("names %v, not in file order", sd.Names)
	}
	for _, w := range want {
		got := sd.Tensors[w.name]
		var vals []float64
		for i := range got.Len() {
			vals = append(vals, got.At(i))
		}
		if !slices.Equal(got.Shape, w.shape) || got.Dtype != w.dtype || !slices.Equal(vals, w.data) {
			t.Errorf("%s: %v %s %v, want %v %s %v", w.name, got.Shape, got.Dtype, vals, w.shape, w.dtype, w.data)
		}
	}
}

func TestHalfToFloat32(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24), 0x8000: 0, 0x3555: 0.33325195} {
		if got := halfToFloat32(h); got != want {
			t.Errorf("half %#04x = %v, want %v", h, got, want)
		}
	}
}

// safetensorsFile builds a .safetensors file from a raw JSON header and data.
func safetensorsFile(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadWeightFiles: each kind of bad file gives one line naming the file
// and the problem.
func TestBadWeightFiles(t *testing.T) {
	pth, err := os.ReadFile(goldenWeights("mobilenet_v2_q.pth"))
	if err != nil {
		t.Fatal(err)
	}
	good := safetensorsFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 8))
	cases := []struct {
		name  string
		path  func(t *testing.T) string
		arch  string
		width float64
		want  []string
	}{
		{"truncated pth", func(t *testing.T) string { return writeTemp(t, "cut.pth", pth[:len(pth)/2]) },
			"mobilenet_v2", 0.25, []string{"cut.pth", "zip"}},
		{"pth of another architecture", func(*testing.T) string { return goldenWeights("mobilenet_v2_q.pth") },
			"resnet18", 8, []string{"mobilenet_v2_q.pth", "missing (conv1.weight", "unexpected (features.0.0.weight", "and "}},
		{"wrong shapes", func(*testing.T) string { return goldenWeights("resnet18_w8.safetensors") },
			"resnet18", 16, []string{"resnet18_w8.safetensors", "wrongly shaped (conv1.weight: file [8 3 7 7], model [16 3 7 7]"}},
		{"non-tensor entry", func(*testing.T) string { return "testdata/not_a_tensor.pth" },
			"resnet18", 8, []string{"not_a_tensor.pth", `entry "conv1.weight" is a int, not a tensor`}},
		{"pickled list", func(*testing.T) string { return "testdata/list.pth" },
			"resnet18", 8, []string{"list.pth", "holds a list, not a state_dict"}},
		{"pickled module", func(*testing.T) string { return "testdata/module.pth" },
			"resnet18", 8, []string{"module.pth", "torch.nn.modules.linear.Linear", "state_dict()"}},
		{"safetensors offsets past the data", func(t *testing.T) string {
			return writeTemp(t, "lie.safetensors", safetensorsFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,16]}}`, make([]byte, 8)))
		}, "resnet18", 8, []string{"lie.safetensors", "not a valid safetensors file"}},
		{"safetensors shape larger than its bytes", func(t *testing.T) string {
			return writeTemp(t, "lie.safetensors", safetensorsFile(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, make([]byte, 8)))
		}, "resnet18", 8, []string{"lie.safetensors", "offsets mismatch"}},
		{"safetensors header length past the end", func(t *testing.T) string {
			b := slices.Clone(good)
			binary.LittleEndian.PutUint64(b, 1<<20)
			return writeTemp(t, "lie.safetensors", b)
		}, "resnet18", 8, []string{"lie.safetensors", "invalid header length"}},
		{"safetensors of another model", func(t *testing.T) string { return writeTemp(t, "tiny.safetensors", good) },
			"resnet18", 8, []string{"tiny.safetensors", "missing", "1 unexpected (a)"}},
		{"legacy pth", func(t *testing.T) string { return writeTemp(t, "old.pth", []byte("\x80\x02\x8a\x0alegacy")) },
			"resnet18", 8, []string{"old.pth", "not a zip archive"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := torchvisionModel(t, c.arch, c.width, 10)
			before := slices.Clone(m.Params[0].Value.F32)
			_, err := LoadFile(m, c.path(t), Options{})
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q is not one line", msg)
			}
			if !slices.Equal(before, m.Params[0].Value.F32) {
				t.Error("a failed load changed the model")
			}
		})
	}
}

// TestMismatchListsTenAndCounts: a strict error names the first ten keys of
// each kind and counts the rest.
func TestMismatchListsTenAndCounts(t *testing.T) {
	m := torchvisionModel(t, "resnet18", 8, 10)
	_, err := Load(m, newStateDict(), Options{})
	if err == nil {
		t.Fatal("an empty state_dict loaded")
	}
	n := len(m.Params)
	if !strings.Contains(err.Error(), "and "+strconv.Itoa(n-10)+" more") || strings.Count(err.Error(), ", ") != 10 {
		t.Errorf("error %q does not list 10 of %d missing keys and count the rest", err, n)
	}
}

// TestNewHead: loading a 10-class file into a 4-class model loads everything
// but the head, which keeps its initialization, and says so.
func TestNewHead(t *testing.T) {
	path := goldenWeights("resnet18_w8.safetensors")
	sd, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := torchvisionModel(t, "resnet18", 8, 4)
	fc := slices.Clone(m.Param("fc.weight").Value.F32)
	r, err := LoadFile(m, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.NewHead, []string{"fc.weight", "fc.bias"}) || len(r.Loaded) != len(m.Params)-2 {
		t.Fatalf("new head %v, %d loaded of %d", r.NewHead, len(r.Loaded), len(m.Params))
	}
	if !strings.Contains(r.String(), "10 classes, the model 4: fc.weight, fc.bias freshly initialized") {
		t.Errorf("report %q", r)
	}
	if !slices.Equal(fc, m.Param("fc.weight").Value.F32) {
		t.Error("the head was overwritten")
	}
	for _, name := range r.Loaded {
		p, want := m.Param(name), sd.Tensors[name]
		for i := range want.Len() {
			if float64(p.Value.F32[i]) != want.At(i) {
				t.Fatalf("%s[%d] = %v, file %v", name, i, p.Value.F32[i], want.At(i))
			}
		}
	}
	// A head whose input width differs is a wrong architecture, not a new head.
	if _, err := LoadFile(torchvisionModel(t, "resnet34", 8, 4), path, Options{}); err == nil {
		t.Error("resnet18 weights loaded into resnet34")
	}
}

func fuzzSeeds(f *testing.F, paths ...string) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// checkRead asserts what a successful read promises: shapes that match the
// element counts.
func checkRead(t *testing.T, sd *StateDict, err error) {
	if err != nil {
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("error %q is not one line", err)
		}
		return
	}
	for _, name := range sd.Names {
		tn := sd.Tensors[name]
		if tn.Len() != graph.ShapeSize(tn.Shape) {
			t.Fatalf("%s: %d elements for shape %v", name, tn.Len(), tn.Shape)
		}
	}
}

func FuzzReadSafetensors(f *testing.F) {
	// Small seeds in the layout torch writes (a multi-dimensional F32 weight,
	// a bias, a 0-d I64 counter, metadata): a real checkpoint of some 700 KB
	// as a seed slows the fuzzer below a hundred executions a second.
	f.Add(safetensorsFile(`{"__metadata__":{"format":"pt"},"bn1.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},`+
		`"conv1.weight":{"dtype":"F32","shape":[2,1,2,2],"data_offsets":[8,40]},"fc.bias":{"dtype":"F32","shape":[3],"data_offsets":[40,52]}}`, make([]byte, 52)))
	f.Add(safetensorsFile(`{"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]},"__metadata__":{"format":"pt"}}`, make([]byte, 4)))
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := ReadSafetensors(data)
		checkRead(t, sd, err)
	})
}

func FuzzReadPyTorch(f *testing.F) {
	fuzzSeeds(f, "testdata/layouts.pth", "testdata/not_a_tensor.pth", "testdata/list.pth", "testdata/module.pth")
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := ReadPyTorch(data)
		checkRead(t, sd, err)
	})
}

// TestCheckPickleRefusesHugeLengths: a length prefix beyond the pickle's end
// fails before gopickle would allocate it.
func TestCheckPickleRefusesHugeLengths(t *testing.T) {
	for _, p := range []string{
		"\x80\x02X\xff\xff\xff\xff.",                    // BINUNICODE of 4 GiB
		"\x80\x04\x8d\x00\x00\x00\x00\x01\x00\x00\x00.", // BINUNICODE8 of 4 GiB
		"\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\x7f.", // FRAME of 2⁶³ bytes
		"\x80\x02cbuiltins",                             // unterminated GLOBAL
		"\x80\x02N",                                     // no STOP
	} {
		if err := checkPickle([]byte(p)); err == nil {
			t.Errorf("pickle %q accepted", p)
		}
	}
	if err := checkPickle([]byte("\x80\x02X\x03\x00\x00\x00abcq\x00.")); err != nil {
		t.Errorf("a valid pickle: %v", err)
	}
}
