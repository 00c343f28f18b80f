package checksummed

import (
	"bytes"
	"errors"
	"testing"
)

var testFormat = Format{Magic: "TESTFMT\n", Version: 3}

func framed(t testing.TB, content []byte) []byte {
	var b bytes.Buffer
	if err := testFormat.Write(&b, content); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, content := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("descent"), 1000)} {
		got, err := testFormat.Read(bytes.NewReader(framed(t, content)), 1<<20)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("%d bytes: got %d bytes, %v", len(content), len(got), err)
		}
	}
}

// TestEveryByteFlipAndTruncationIsAnError flips each bit pattern of every
// byte once and cuts the file at every length: all are refused.
func TestEveryByteFlipAndTruncationIsAnError(t *testing.T) {
	file := framed(t, []byte("the weights and the step counter"))
	for i := range file {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(file)
			bad[i] ^= mask
			if _, err := testFormat.Read(bytes.NewReader(bad), 1<<20); err == nil {
				t.Errorf("byte %d ^ %#x accepted", i, mask)
			}
		}
	}
	for n := range len(file) {
		if _, err := testFormat.Read(bytes.NewReader(file[:n]), 1<<20); err == nil {
			t.Errorf("truncated to %d bytes accepted", n)
		}
	}
	if _, err := testFormat.Read(bytes.NewReader(append(bytes.Clone(file), 0)), 1<<20); !errors.Is(err, ErrTrailingData) {
		t.Errorf("trailing byte: %v", err)
	}
}

func TestErrorsSayWhatIsWrong(t *testing.T) {
	file := framed(t, []byte("content"))
	other := Format{Magic: "OTHERFMT", Version: 3}
	if _, err := other.Read(bytes.NewReader(file), 1<<20); !errors.Is(err, ErrNotThisFormat) {
		t.Errorf("other magic: %v", err)
	}
	newer := Format{Magic: testFormat.Magic, Version: 4}
	if _, err := newer.Read(bytes.NewReader(file), 1<<20); !errors.Is(err, ErrVersion) {
		t.Errorf("other version: %v", err)
	}
	if _, err := testFormat.Read(bytes.NewReader(file), 3); err == nil {
		t.Errorf("content over the limit accepted")
	}
	if _, err := testFormat.Read(bytes.NewReader(nil), 1<<20); !errors.Is(err, ErrTruncated) {
		t.Errorf("empty file: %v", err)
	}
}

// FuzzRead checks that Read never panics and that whatever it accepts
// re-frames to the same bytes.
func FuzzRead(f *testing.F) {
	f.Add(framed(f, []byte("content")))
	f.Add(framed(f, nil))
	f.Add([]byte("TESTFMT\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		content, err := testFormat.Read(bytes.NewReader(file), 1<<16)
		if err != nil {
			return
		}
		if !bytes.Equal(framed(t, content), file) {
			t.Fatalf("accepted %d bytes that do not re-frame identically", len(file))
		}
	})
}
