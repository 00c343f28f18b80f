package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// IDX is one array of unsigned bytes in the IDX format of the MNIST files.
type IDX struct {
	Dims []int   // sizes, outermost first
	Data []uint8 // values in row-major order, len = product of Dims
}

// idxTypeNames names the IDX element types; only unsigned bytes (0x08) are read.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16",
	0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
}

// maxIDXValues caps the product of the dimensions a header may declare.
const maxIDXValues = 1 << 40

// ReadIDX decodes an IDX array of unsigned bytes from r, which may be gzip-compressed
// (recognised by its magic bytes). The header is checked against the data: too few
// bytes, trailing bytes or an unsupported element type are errors.
func ReadIDX(r io.Reader) (*IDX, error) {
	r, err := maybeGunzip(r)
	if err != nil {
		return nil, err
	}
	var magic [4]byte
	if _, err := io.ReadFull(r, magic[:]); err != nil {
		return nil, fmt.Errorf("truncated IDX header (%v)", err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("wrong magic number %#08x: an IDX file starts with two zero bytes", binary.BigEndian.Uint32(magic[:]))
	}
	if name, known := idxTypeNames[magic[2]]; !known {
		return nil, fmt.Errorf("wrong magic number %#08x: unknown IDX element type %#02x", binary.BigEndian.Uint32(magic[:]), magic[2])
	} else if magic[2] != 0x08 {
		return nil, fmt.Errorf("IDX element type %#02x (%s) is not supported, only unsigned bytes (0x08)", magic[2], name)
	}
	if magic[3] == 0 {
		return nil, errors.New("IDX header declares zero dimensions")
	}
	sizes := make([]byte, 4*int(magic[3]))
	if _, err := io.ReadFull(r, sizes); err != nil {
		return nil, fmt.Errorf("truncated IDX header: %d dimension sizes expected (%v)", magic[3], err)
	}
	dims := make([]int, magic[3])
	n := 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(sizes[4*i:]))
		if dims[i] > 0 && n > maxIDXValues/dims[i] {
			return nil, fmt.Errorf("IDX header declares dimensions %v, more than %d values", dims[:i+1], int64(maxIDXValues))
		}
		n *= dims[i]
	}
	values, err := readExactly(r, n)
	if err != nil {
		return nil, fmt.Errorf("IDX data of shape %v: %w", dims, err)
	}
	if err := expectEOF(r); errors.Is(err, errTrailingData) {
		return nil, fmt.Errorf("the header (magic number %#08x) declares %d dimensions of sizes %v, %d bytes, and data follows after the end: a wrong magic number or a corrupt header",
			binary.BigEndian.Uint32(magic[:]), len(dims), dims, n)
	} else if err != nil {
		return nil, fmt.Errorf("after IDX data of shape %v: %w", dims, err)
	}
	return &IDX{Dims: dims, Data: values}, nil
}

// ReadIDXFile reads the IDX file at path (gzip or raw); errors name the file.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	idx, err := ReadIDX(f)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	return idx, nil
}
