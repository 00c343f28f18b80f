package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/descent-ml/descent/layers/weights"
)

// TestResumeRefusesZooFlags: the fine-tuning flags change the run, so a
// resumed run refuses them, all listed.
func TestResumeRefusesZooFlags(t *testing.T) {
	dir := tinyRun(t)
	args := []string{"-resume", dir, "-freeze", "conv1", "-lr-head", "0.1", "-weights", "x.pth", "-num-classes", "12"}
	refused(t, runCLI(t, args...), args, "-freeze conv1", "-lr-head 0.1", "-weights x.pth", "-num-classes 12")
}

// TestFineTunedRunResumes: a run started from -weights exports a strict
// torchvision state_dict with num_batches_tracked, and resumes from its
// checkpoint without reading the weights file again (it may be gone).
func TestFineTunedRunResumes(t *testing.T) {
	root := t.TempDir()
	base := []string{"-model", "resnet18", "-width", "4", "-subset", "64", "-split", "98:1:1", "-batch", "32", "-schedule", "none", "-quiet"}
	pre, tuned := filepath.Join(root, "pre"), filepath.Join(root, "tuned")
	if err := dispatch(append([]string{"-out", pre, "-epochs", "1"}, base...)); err != nil {
		t.Fatal(err)
	}
	pretrained := filepath.Join(root, "pretrained.safetensors")
	if err := os.Rename(filepath.Join(pre, modelFile), pretrained); err != nil {
		t.Fatal(err)
	}
	if err := dispatch(append([]string{"-out", tuned, "-epochs", "1", "-weights", pretrained, "-input-norm", "standardize", "-freeze", "conv1,bn1"}, base...)); err != nil {
		t.Fatal(err)
	}
	sd, err := weights.ReadFile(filepath.Join(tuned, modelFile))
	if err != nil {
		t.Fatal(err)
	}
	// 64 images in batches of 32: 2 steps.
	if n := sd.Tensors["layer1.0.bn1.num_batches_tracked"]; n == nil || n.Len() != 1 || n.At(0) != 2 {
		t.Errorf("layer1.0.bn1.num_batches_tracked: %v, want 2", n)
	}
	if err := os.Remove(pretrained); err != nil {
		t.Fatal(err)
	}
	if err := dispatch([]string{"-resume", tuned, "-epochs", "2", "-quiet"}); err != nil {
		t.Fatalf("resume after the weights file was removed: %v", err)
	}
}
