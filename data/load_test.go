package data

import (
	"image"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadByKind(t *testing.T) {
	mnistDir := t.TempDir()
	writeMNIST(t, mnistDir, 4, 2, 3, 3, true)
	if train, test, err := Load("MNIST", mnistDir); err != nil || train.Len() != 4 || test.Len() != 2 {
		t.Errorf("mnist: %v", err)
	}
	cifarDir := t.TempDir()
	for _, name := range append(CIFAR10TrainFiles, CIFAR10TestFile) {
		writeFile(t, filepath.Join(cifarDir, name), cifarRecords(0, 1))
	}
	if train, test, err := Load("cifar10", cifarDir); err != nil || train.Len() != 5 || test.Len() != 1 {
		t.Errorf("cifar10: %v", err)
	}
	folder := t.TempDir()
	writeFile(t, filepath.Join(folder, "a", "x.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2))))
	writeFile(t, filepath.Join(folder, "b", "y.png"), encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2))))
	if train, test, err := Load("folder", folder); err != nil || train.Len() != 2 || test != nil {
		t.Errorf("folder: %v", err)
	}
	for kind, mention := range map[string]string{"imagenet": `"imagenet"`, "cifar10": "CIFAR-10", "folder": "folder"} {
		if _, _, err := Load(kind, ""); err == nil || !strings.Contains(err.Error(), mention) {
			t.Errorf("Load(%q, \"\"): error %v should mention %s", kind, err, mention)
		}
	}
}
