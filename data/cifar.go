package data

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CIFAR10Classes are the names of CIFAR-10's classes, in label order.
var CIFAR10Classes = []string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

// CIFAR-10 binary records: one label byte, then a 3×32×32 image in CHW order.
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
	cifarRecord = 1 + cifarPixels
)

// CIFAR10TrainFiles and CIFAR10TestFile name the binary batches of CIFAR-10.
var (
	CIFAR10TrainFiles = []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	CIFAR10TestFile   = "test_batch.bin"
)

// ReadCIFAR10Batch decodes one CIFAR-10 binary batch: any positive number of
// 3073-byte records. A size that is not a whole number of records or a label
// outside 0–9 is an error.
func ReadCIFAR10Batch(r io.Reader) (*Dataset, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return decodeCIFAR10([][]byte{b}, []string{"input"})
}

// LoadCIFAR10 reads the five training batches and the test batch from dir, or from
// dir/cifar-10-batches-bin when dir is the folder the official archive unpacks into.
func LoadCIFAR10(dir string) (train, test *Dataset, err error) {
	if _, err := os.Stat(filepath.Join(dir, CIFAR10TestFile)); err != nil {
		if nested := filepath.Join(dir, "cifar-10-batches-bin"); isDir(nested) {
			dir = nested
		}
	}
	if train, err = loadCIFAR10Files(dir, CIFAR10TrainFiles); err != nil {
		return nil, nil, err
	}
	if test, err = loadCIFAR10Files(dir, []string{CIFAR10TestFile}); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// loadCIFAR10Files reads the named batches of dir into one dataset.
func loadCIFAR10Files(dir string, names []string) (*Dataset, error) {
	contents := make([][]byte, len(names))
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = filepath.Join(dir, name)
		b, err := os.ReadFile(paths[i])
		if err != nil {
			return nil, fmt.Errorf("data: CIFAR-10: %w", err)
		}
		contents[i] = b
	}
	d, err := decodeCIFAR10(contents, paths)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return d, nil
}

// decodeCIFAR10 decodes the records of several batches into one dataset; names[i]
// names contents[i] in errors.
func decodeCIFAR10(contents [][]byte, names []string) (*Dataset, error) {
	n := 0
	for i, b := range contents {
		if len(b) == 0 || len(b)%cifarRecord != 0 {
			return nil, fmt.Errorf("%s: truncated or corrupt CIFAR-10 batch: %d bytes is not a positive multiple of the %d-byte record", names[i], len(b), cifarRecord)
		}
		n += len(b) / cifarRecord
	}
	d := slabDataset(make([]uint8, n*cifarPixels), n, 3, cifarSide, cifarSide, CIFAR10Classes)
	k := 0
	for i, b := range contents {
		for r := 0; r < len(b); r += cifarRecord {
			if label := b[r]; int(label) < len(CIFAR10Classes) {
				d.Labels[k] = int(label)
			} else {
				return nil, fmt.Errorf("%s: record %d has label %d, CIFAR-10 labels are 0–9", names[i], r/cifarRecord, label)
			}
			copy(d.Images[k].Pix, b[r+1:r+cifarRecord])
			k++
		}
	}
	return d, nil
}
