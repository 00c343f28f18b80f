package main

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyRunArgs train a 6370-parameter MLP for one epoch in well under a second.
var tinyRunArgs = []string{"-model", "mlp", "-depth", "1", "-width", "8", "-norm", "none", "-subset", "64",
	"-split", "1:0", "-epochs", "1", "-quiet"}

// tinyRun trains tinyRunArgs (and extra) into a new folder and returns it.
func tinyRun(t testing.TB, extra ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "run")
	if err := dispatch(append(append([]string{"-out", dir}, tinyRunArgs...), extra...)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func frame(t testing.TB, content []byte) []byte {
	var b bytes.Buffer
	if err := checkpointFormat.Write(&b, content); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCheckpointCorruptionIsOneClearError flips bytes all over a real
// checkpoint: every flip is refused, naming the file.
func TestCheckpointCorruptionIsOneClearError(t *testing.T) {
	dir := tinyRun(t)
	path := filepath.Join(dir, checkpointFile)
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := readCheckpoint(bytes.NewReader(file), path); err != nil {
		t.Fatalf("the intact checkpoint: %v", err)
	}
	for i := 0; i < len(file); i += 1 + i/64 {
		bad := bytes.Clone(file)
		bad[i] ^= 0x10
		_, err := readCheckpoint(bytes.NewReader(bad), path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("byte %d of %d flipped: error %v, want one naming %s", i, len(file), err, path)
		}
	}
	for _, n := range []int{0, 10, 24, len(file) / 2, len(file) - 1} {
		if _, err := readCheckpoint(bytes.NewReader(file[:n]), path); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("cut to %d bytes: %v", n, err)
		}
	}
}

// TestCheckpointRequiredFieldsAndFiniteValues: content with a valid checksum
// is still refused when a required field is missing or a value not finite,
// and a non-finite state is never saved.
func TestCheckpointRequiredFieldsAndFiniteValues(t *testing.T) {
	dir := tinyRun(t)
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	mutations := map[string]func(c *checkpoint){
		"not finite":        func(c *checkpoint) { c.Params["out.weight"][3] = float32(math.NaN()) },
		"optimizer state":   func(c *checkpoint) { c.Optimizer.Groups[0].Params[0].Buffers["exp_avg"].F32[0] = float32(math.Inf(1)) },
		"step counter":      func(c *checkpoint) { c.Iteration = 0 },
		"no parameters":     func(c *checkpoint) { c.Params = nil },
		"no optimizer":      func(c *checkpoint) { c.Optimizer.Groups = nil },
		"no state of its":   func(c *checkpoint) { c.Schedule = nil },
		"after epoch":       func(c *checkpoint) { c.Epoch = 0 },
		"metrics of 0":      func(c *checkpoint) { c.Metrics = nil },
		"flag -hidden":      func(c *checkpoint) { c.Config.Hidden = -5 },
		"learning rate is ": func(c *checkpoint) { c.Optimizer.Groups[0].LR = math.NaN() },
	}
	for want, mutate := range mutations {
		c, _ := loadCheckpoint(dir)
		mutate(c)
		stored, err := c.stored()
		if err != nil {
			t.Fatal(err)
		}
		var content bytes.Buffer
		if err := gob.NewEncoder(&content).Encode(stored); err != nil {
			t.Fatal(err)
		}
		_, err = readCheckpoint(bytes.NewReader(frame(t, content.Bytes())), "ck")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "checkpoint ck") {
			t.Errorf("%s: error %v", want, err)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, checkpointFile))
	ck.Params["out.bias"][0] = float32(math.Inf(-1))
	if err := saveCheckpoint(dir, ck); !errors.Is(err, errNotFinite) {
		t.Fatalf("saving a non-finite parameter: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, checkpointFile)); !bytes.Equal(before, after) {
		t.Errorf("the refused save changed the checkpoint")
	}
}

// TestCheckpointOfTheEarlierFormatSaysSo: a bare gob checkpoint, as written
// before the header, is refused with a message that says the format changed.
func TestCheckpointOfTheEarlierFormatSaysSo(t *testing.T) {
	dir := tinyRun(t)
	ck, err := loadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	var old bytes.Buffer
	gob.NewEncoder(&old).Encode(ck)
	os.WriteFile(filepath.Join(dir, checkpointFile), old.Bytes(), 0o644)
	if _, err := loadCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "earlier format") {
		t.Errorf("bare gob: %v", err)
	}
}

// FuzzCheckpoint feeds arbitrary files to the checkpoint reader, and, with
// framed set, arbitrary content behind a valid header and checksum, so that
// the decoder and the field checks see it too. Nothing may panic; what is
// accepted has finite parameters.
func FuzzCheckpoint(f *testing.F) {
	// A logistic regression on 2×2 images: a checkpoint of 2 kB, most of it
	// gob's type descriptions, which the fuzzer mutates quickly.
	images := f.TempDir()
	for i, class := range []string{"a", "b", "a", "b"} {
		os.MkdirAll(filepath.Join(images, class), 0o755)
		os.WriteFile(filepath.Join(images, class, fmt.Sprint(i)+".png"), pngBytes(f, 4, 4, i), 0o644)
	}
	dir := filepath.Join(f.TempDir(), "run")
	if err := dispatch([]string{"-out", dir, "-dataset", "folder", "-data-dir", images, "-image-size", "2", "-model", "mlp",
		"-depth", "0", "-norm", "none", "-split", "1:0:1", "-epochs", "1", "-quiet"}); err != nil {
		f.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(dir, checkpointFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(file, false)
	f.Add(file[24:], true)
	f.Add(file[:100], false)
	f.Add([]byte{}, true)
	f.Fuzz(func(t *testing.T, b []byte, framed bool) {
		if framed {
			b = frame(t, b)
		}
		ck, err := readCheckpoint(bytes.NewReader(b), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "checkpoint fuzz") {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		if err := ck.checkFinite(); err != nil {
			t.Fatalf("accepted: %v", err)
		}
	})
}

// TestStoredCheckpointRefusesDuplicates: names given twice and optimizer
// buffers whose values do not fill their shape are refused.
func TestStoredCheckpointRefusesDuplicates(t *testing.T) {
	ck, err := loadCheckpoint(tinyRun(t))
	if err != nil {
		t.Fatal(err)
	}
	for want, mutate := range map[string]func(s *storedCheckpoint){
		"twice": func(s *storedCheckpoint) { s.Params = append(s.Params, s.Params[0]) },
		"given twice": func(s *storedCheckpoint) {
			p := &s.Optimizer.Groups[0].Params[0]
			p.Buffers = append(p.Buffers, p.Buffers[0])
		},
		"values for": func(s *storedCheckpoint) {
			b := s.Optimizer.Groups[0].Params[0].Buffers
			v := *b[0].Value // the buffer is the checkpoint's own: change a copy
			v.Shape = []int{3}
			b[0].Value = &v
		},
		"unreadable:": func(s *storedCheckpoint) { s.Config = []byte("{") },
		"-dataset":    func(s *storedCheckpoint) { s.Config = []byte(`{"dataset":"imagenet"}`) },
	} {
		s, err := ck.stored()
		if err != nil {
			t.Fatal(err)
		}
		mutate(s)
		var content bytes.Buffer
		gob.NewEncoder(&content).Encode(s)
		if _, err := readCheckpoint(bytes.NewReader(frame(t, content.Bytes())), "ck"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}
