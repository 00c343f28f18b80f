package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// encodeIDX writes an unsigned-byte IDX array.
func encodeIDX(dims []int, values []uint8) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(values)
	return b.Bytes()
}

func gzipBytes(t testing.TB, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, path string, content []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadIDXRawAndGzip(t *testing.T) {
	dims := []int{3, 2, 4}
	values := make([]uint8, 24)
	for i := range values {
		values[i] = uint8(i*37 + 5)
	}
	raw := encodeIDX(dims, values)
	for name, content := range map[string][]byte{"raw": raw, "gzip": gzipBytes(t, raw)} {
		got, err := ReadIDX(bytes.NewReader(content))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !slices.Equal(got.Dims, dims) || !bytes.Equal(got.Data, values) {
			t.Errorf("%s: got dims %v data %v, want %v %v", name, got.Dims, got.Data, dims, values)
		}
	}
}

func TestReadIDXErrors(t *testing.T) {
	good := encodeIDX([]int{2, 3}, []uint8{1, 2, 3, 4, 5, 6})
	corruptGzip := gzipBytes(t, good)
	corruptGzip[len(corruptGzip)-6] ^= 0xff // inside the CRC-32 trailer
	float := slices.Clone(good)
	float[2] = 0x0D
	cases := []struct {
		name    string
		content []byte
		cause   string
	}{
		{"empty", nil, "truncated IDX header"},
		{"wrong-magic", append([]byte{0x50, 0x4b}, good[2:]...), "wrong magic number"},
		{"unknown-type", append([]byte{0, 0, 0x42}, good[3:]...), "unknown IDX element type"},
		{"float-type", float, "not supported"},
		{"zero-dims", []byte{0, 0, 8, 0}, "zero dimensions"},
		{"short-dims", good[:9], "truncated IDX header"},
		{"truncated-data", good[:len(good)-1], "truncated"},
		{"trailing", append(slices.Clone(good), 9), "after the end"},
		{"huge-dims", encodeIDX([]int{1 << 30, 1 << 30, 1 << 30}, nil), "more than"},
		{"lying-header", encodeIDX([]int{1 << 30}, []uint8{1, 2}), "truncated"},
		{"truncated-gzip", gzipBytes(t, good)[:20], "truncated"},
		{"corrupt-gzip", corruptGzip, "checksum"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := writeFile(t, filepath.Join(dir, c.name), c.content)
		_, err := ReadIDXFile(path)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.cause) {
			t.Errorf("%s: error %q should name %s and say %q", c.name, err, path, c.cause)
		}
	}
	missing := filepath.Join(dir, "missing")
	if _, err := ReadIDXFile(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: error %v should name %s", err, missing)
	}
}

func FuzzReadIDX(f *testing.F) {
	good := encodeIDX([]int{2, 2, 3}, []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add(good)
	f.Add(gzipBytes(f, good))
	f.Add(good[:7])
	f.Add(encodeIDX([]int{1 << 31, 1 << 31}, nil))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, content []byte) {
		idx, err := ReadIDX(bytes.NewReader(content))
		if err != nil {
			return
		}
		n := 1
		for _, d := range idx.Dims {
			n *= d
		}
		if len(idx.Data) != n {
			t.Fatalf("dims %v but %d values", idx.Dims, len(idx.Data))
		}
	})
}
