package data

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
)

// readChunk bounds how far a buffer grows ahead of the data actually read, so a
// header that promises more data than a file holds cannot force a huge allocation.
const readChunk = 16 << 20

// readExactly reads n bytes, growing the buffer as the data arrives.
func readExactly(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, readChunk))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(n-len(buf), readChunk))
		}
		got, err := io.ReadFull(r, buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+got]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("truncated: %d bytes of data expected, only %d present", n, len(buf))
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// errTrailingData is expectEOF's error when data follows the expected end.
var errTrailingData = errors.New("unexpected data after the end")

// expectEOF checks that r holds nothing more. For a gzip stream, reading to the end
// is also what verifies its checksum.
func expectEOF(r io.Reader) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n > 0 {
		return errTrailingData
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// maybeGunzip returns a reader of r's content, decompressed when it starts with the
// gzip magic bytes 0x1f 0x8b.
func maybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("corrupt gzip header: %w", err)
		}
		return zr, nil
	}
	return br, nil
}
