package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cifarRecords builds n CIFAR-10 records whose labels and pixels follow from first.
func cifarRecords(first, n int) []byte {
	b := make([]byte, 0, n*cifarRecord)
	for i := first; i < first+n; i++ {
		b = append(b, byte(i%10))
		for k := range cifarPixels {
			b = append(b, byte(i*31+k))
		}
	}
	return b
}

func checkCIFARSamples(t *testing.T, d *Dataset, first int) {
	t.Helper()
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	for j, img := range d.Images {
		i := first + j
		if img.C != 3 || img.H != 32 || img.W != 32 {
			t.Fatalf("sample %d shape %d×%d×%d", i, img.C, img.H, img.W)
		}
		if d.Labels[j] != i%10 {
			t.Fatalf("sample %d label %d, want %d", i, d.Labels[j], i%10)
		}
		// CHW: the green value at row 1, column 2 is record byte 1024 + 32 + 2.
		if got, want := img.Pix[(1*32+1)*32+2], byte(i*31+1024+32+2); got != want {
			t.Fatalf("sample %d green(1,2) = %d, want %d", i, got, want)
		}
	}
}

func TestLoadCIFAR10(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cifar-10-batches-bin") // the archive's own folder
	perBatch := 3
	for b, name := range CIFAR10TrainFiles {
		writeFile(t, filepath.Join(dir, name), cifarRecords(b*perBatch, perBatch))
	}
	writeFile(t, filepath.Join(dir, CIFAR10TestFile), cifarRecords(100, 4))
	for _, d := range []string{root, dir} {
		train, test, err := LoadCIFAR10(d)
		if err != nil {
			t.Fatal(err)
		}
		if train.Len() != 5*perBatch || test.Len() != 4 {
			t.Fatalf("%d training and %d test samples, want %d and 4", train.Len(), test.Len(), 5*perBatch)
		}
		checkCIFARSamples(t, train, 0)
		checkCIFARSamples(t, test, 100)
		if train.Classes[3] != "cat" {
			t.Errorf("class 3 = %q", train.Classes[3])
		}
	}
}

func TestLoadCIFAR10Errors(t *testing.T) {
	setup := func(t *testing.T) string {
		dir := t.TempDir()
		for _, name := range append(CIFAR10TrainFiles, CIFAR10TestFile) {
			writeFile(t, filepath.Join(dir, name), cifarRecords(0, 2))
		}
		return dir
	}
	cases := []struct {
		name, file string
		content    []byte // nil: remove the file
		cause      string
	}{
		{"missing", "data_batch_3.bin", nil, "no such file"},
		{"truncated", "data_batch_2.bin", cifarRecords(0, 2)[:cifarRecord+100], "not a positive multiple"},
		{"empty", "test_batch.bin", []byte{}, "not a positive multiple"},
		{"bad-label", "data_batch_5.bin", append(cifarRecords(0, 1), append([]byte{10}, make([]byte, cifarPixels)...)...), "record 1 has label 10"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := setup(t)
			path := filepath.Join(dir, c.file)
			if c.content == nil {
				os.Remove(path)
			} else {
				writeFile(t, path, c.content)
			}
			_, _, err := LoadCIFAR10(dir)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.cause) {
				t.Errorf("error %v should name %s and say %q", err, path, c.cause)
			}
		})
	}
}

// FuzzReadCIFAR builds a batch from a small description, since CIFAR-10
// records are 3073 bytes and the fuzzer mutating whole files of them spends
// its time minimizing: labels gives each record's label byte (so as many
// records as labels, at most 4), pixel fills the pixels, and cut removes
// (negative) or appends (positive) up to one record's worth of bytes at the
// end. Every branch of the reader is reached: sizes that are and are not a
// whole number of records, labels in and out of range.
func FuzzReadCIFAR(f *testing.F) {
	f.Add([]byte{0}, byte(7), int16(0))
	f.Add([]byte{3, 9, 1}, byte(0), int16(0))
	f.Add([]byte{1, 2}, byte(255), int16(-1))
	f.Add([]byte{}, byte(0), int16(0))
	f.Add([]byte{200}, byte(0), int16(0))
	f.Add([]byte{5}, byte(1), int16(1))
	f.Fuzz(func(t *testing.T, labels []byte, pixel byte, cut int16) {
		labels = labels[:min(len(labels), 4)]
		content := make([]byte, 0, (len(labels)+1)*cifarRecord)
		for _, l := range labels {
			content = append(content, l)
			content = append(content, bytes.Repeat([]byte{pixel}, cifarPixels)...)
		}
		if n := int(cut) % cifarRecord; n < 0 {
			content = content[:max(len(content)+n, 0)]
		} else {
			content = append(content, bytes.Repeat([]byte{pixel}, n)...)
		}
		d, err := ReadCIFAR10Batch(bytes.NewReader(content))
		if err != nil {
			return
		}
		if d.Len()*cifarRecord != len(content) {
			t.Fatalf("%d samples from %d bytes", d.Len(), len(content))
		}
		if err := d.Check(); err != nil {
			t.Fatal(err)
		}
		for i, l := range labels {
			if d.Labels[i] != int(l) || d.Images[i].Pix[cifarPixels-1] != pixel {
				t.Fatalf("record %d: label %d, want %d", i, d.Labels[i], l)
			}
		}
	})
}
