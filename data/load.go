package data

import (
	"fmt"
	"strings"
)

// Kinds lists the dataset kinds Load reads.
var Kinds = []string{"mnist", "cifar10", "folder"}

// Load reads a dataset by kind: "mnist" (dir may be empty: the GoMNIST module's
// copy), "cifar10" (the binary batches) or "folder" (an image folder, no official
// test set: test is nil).
func Load(kind, dir string) (train, test *Dataset, err error) {
	switch strings.ToLower(kind) {
	case "mnist":
		return LoadMNIST(dir)
	case "cifar10", "cifar-10":
		if dir == "" {
			return nil, nil, fmt.Errorf("data: CIFAR-10 needs the folder of its binary batches (data_batch_1.bin … test_batch.bin); none can be downloaded here")
		}
		return LoadCIFAR10(dir)
	case "folder":
		if dir == "" {
			return nil, nil, fmt.Errorf("data: an image-folder dataset needs its folder")
		}
		train, err = LoadImageFolder(dir)
		return train, nil, err
	}
	return nil, nil, fmt.Errorf("data: unknown dataset kind %q: want one of %s", kind, strings.Join(Kinds, ", "))
}
