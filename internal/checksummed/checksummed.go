package checksummed

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Format is a file format: its magic (exactly 8 bytes) and current version.
type Format struct {
	Magic   string
	Version uint32
}

const headerSize = 24

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors of Read, wrapped with details.
var (
	ErrNotThisFormat = errors.New("not in this format (wrong magic bytes)")
	ErrVersion       = errors.New("unsupported format version")
	ErrTruncated     = errors.New("truncated")
	ErrChecksum      = errors.New("checksum mismatch: the file is corrupt")
	ErrTrailingData  = errors.New("unexpected data after the end")
)

// header returns the 24 header bytes for content.
func (f Format) header(content []byte) []byte {
	if len(f.Magic) != 8 {
		panic(fmt.Sprintf("checksummed: magic %q is not 8 bytes", f.Magic))
	}
	h := make([]byte, headerSize)
	copy(h, f.Magic)
	binary.LittleEndian.PutUint32(h[8:], f.Version)
	binary.LittleEndian.PutUint64(h[12:], uint64(len(content)))
	crc := crc32.Update(crc32.Checksum(h[8:20], castagnoli), castagnoli, content)
	binary.LittleEndian.PutUint32(h[20:], crc)
	return h
}

// Write writes content framed by f's header.
func (f Format) Write(w io.Writer, content []byte) error {
	if _, err := w.Write(f.header(content)); err != nil {
		return err
	}
	_, err := w.Write(content)
	return err
}

// Read reads one framed content from r, checking magic, version, length and
// checksum, and that nothing follows. maxLen bounds the content length a
// header may declare; memory grows with the bytes actually read, not with
// the declared length.
func (f Format) Read(r io.Reader, maxLen int64) ([]byte, error) {
	h := make([]byte, headerSize)
	n, err := io.ReadFull(r, h)
	if n < len(f.Magic) || !bytes.Equal(h[:len(f.Magic)], []byte(f.Magic)) {
		if n == 0 && err != nil {
			return nil, fmt.Errorf("%w: the file is empty", ErrTruncated)
		}
		return nil, ErrNotThisFormat
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %d of %d header bytes", ErrTruncated, n, headerSize)
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != f.Version {
		return nil, fmt.Errorf("%w %d (this program reads version %d)", ErrVersion, v, f.Version)
	}
	length := binary.LittleEndian.Uint64(h[12:])
	if length > uint64(maxLen) {
		return nil, fmt.Errorf("%w: the header declares %d bytes of content, more than the limit of %d", ErrChecksum, length, maxLen)
	}
	var buf bytes.Buffer
	got, err := io.Copy(&buf, io.LimitReader(r, int64(length)))
	if err != nil {
		return nil, err
	}
	if uint64(got) < length {
		return nil, fmt.Errorf("%w: %d of %d content bytes", ErrTruncated, got, length)
	}
	var one [1]byte
	if n, _ := io.ReadFull(r, one[:]); n > 0 {
		return nil, ErrTrailingData
	}
	content := buf.Bytes()
	want := binary.LittleEndian.Uint32(h[20:])
	if crc := crc32.Update(crc32.Checksum(h[8:20], castagnoli), castagnoli, content); crc != want {
		return nil, fmt.Errorf("%w (CRC-32C %08x, the header says %08x)", ErrChecksum, crc, want)
	}
	return content, nil
}
