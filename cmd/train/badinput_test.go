package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-ml/descent/cmd/train/internal/recipe"
	"github.com/descent-ml/descent/data"
	"github.com/descent-ml/descent/internal/runfolder"
)

// cliResult is what a run of the train command printed and its exit status.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs the train command as a separate process (the test binary
// standing in for it, see TestMain), so that exit status and output are the
// user's.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "DESCENT_TEST_RUN_TRAIN=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		r.code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// refused checks a refusal: exit status 2, one line on stderr holding every
// want, and nothing for developers (stack traces, runtime errors) anywhere.
func refused(t *testing.T, r cliResult, args []string, want ...string) {
	t.Helper()
	cmdline := strings.Join(args, " ")
	all := r.stdout + r.stderr
	for _, bad := range []string{"goroutine ", "panic", "fatal error", "runtime error", ".go:"} {
		if strings.Contains(all, bad) {
			t.Errorf("train %s: output holds %q:\n%s", cmdline, bad, all)
		}
	}
	line := strings.TrimSuffix(r.stderr, "\n")
	if r.code != 2 || line == "" || strings.Contains(line, "\n") {
		t.Errorf("train %s: exit status %d, stderr %q; want 2 and one line", cmdline, r.code, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("train %s: %q does not name %q", cmdline, line, w)
		}
	}
}

// TestBadFlagsAreRefusedBeforeAnythingIsWritten: every flag is checked for
// range and finiteness before data is read or the -out folder made.
func TestBadFlagsAreRefusedBeforeAnythingIsWritten(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-hidden", "-5"}, []string{"-hidden", "-5"}},
		{[]string{"-hidden", "0"}, []string{"-hidden", "0"}},
		{[]string{"-model", "resnet", "-width", "-4"}, []string{"-width", "-4"}},
		{[]string{"-model", "mlp", "-width", "100000000"}, []string{"-width", "100000000"}},
		{[]string{"-hidden", "100000000"}, []string{"-hidden"}},
		{[]string{"-filters", "4,-8"}, []string{"-filters"}},
		{[]string{"-image-size", "100000", "-dataset", "folder", "-data-dir", "x"}, []string{"-image-size", "100000"}},
		{[]string{"-blocks", "-1"}, []string{"-blocks", "-1"}},
		{[]string{"-depth", "-2", "-model", "mlp"}, []string{"-depth", "-2"}},
		{[]string{"-warmup", "-1"}, []string{"-warmup", "-1"}},
		{[]string{"-init-std", "-1"}, []string{"-init-std", "-1"}},
		{[]string{"-init-std", "NaN"}, []string{"-init-std", "NaN"}},
		{[]string{"-dropout", "NaN"}, []string{"-dropout", "NaN"}},
		{[]string{"-dropout", "-0.5"}, []string{"-dropout"}},
		{[]string{"-lr", "NaN"}, []string{"-lr", "NaN"}},
		{[]string{"-lr", "Inf"}, []string{"-lr", "Inf"}},
		{[]string{"-momentum", "-Inf"}, []string{"-momentum"}},
		{[]string{"-l2", "NaN"}, []string{"-l2"}},
		{[]string{"-l1", "-1"}, []string{"-l1"}},
		{[]string{"-clip-norm", "Inf"}, []string{"-clip-norm"}},
		{[]string{"-clip-value", "-1"}, []string{"-clip-value"}},
		{[]string{"-gamma", "NaN"}, []string{"-gamma"}},
		{[]string{"-gamma", "0"}, []string{"-gamma"}},
		{[]string{"-factor", "1"}, []string{"-factor"}},
		{[]string{"-eta-min", "NaN"}, []string{"-eta-min"}},
		{[]string{"-step-size", "0"}, []string{"-step-size"}},
		{[]string{"-milestones", "3,2"}, []string{"-milestones"}},
		{[]string{"-t-max", "-1"}, []string{"-t-max"}},
		{[]string{"-patience", "-1"}, []string{"-patience"}},
		{[]string{"-epochs", "0"}, []string{"-epochs", "0"}},
		{[]string{"-epochs", "-3"}, []string{"-epochs"}},
		{[]string{"-subset", "-5"}, []string{"-subset"}},
		{[]string{"-batch", "0"}, []string{"-batch"}},
		{[]string{"-batch", "99999999999999999999"}, []string{"-batch"}},
		{[]string{"-eval-batch", "0"}, []string{"-eval-batch"}},
		{[]string{"-workers", "100000000"}, []string{"-workers"}},
		{[]string{"-workers", "-1"}, []string{"-workers"}},
		{[]string{"-split", "6:2:NaN"}, []string{"-split"}},
		{[]string{"-split", "0:1"}, []string{"-split"}},
		{[]string{"-augment", "hflip@NaN"}, []string{"-augment", "hflip@NaN"}},
		{[]string{"-augment", "hflip=3"}, []string{"-augment", "hflip=3"}},
		{[]string{"-augment", "crop=1e12"}, []string{"-augment", "crop=1e12"}},
		{[]string{"-augment", "rotate=Inf"}, []string{"-augment"}},
		{[]string{"-augment", "cutout=-3"}, []string{"-augment"}},
		{[]string{"-max-image-pixels", "0"}, []string{"-max-image-pixels"}},
		{[]string{"-max-memory", "lots"}, []string{"-max-memory", "lots"}},
		{[]string{"-max-memory", "-1GB"}, []string{"-max-memory"}},
		{[]string{"-dataset", "imagenet"}, []string{"-dataset", "imagenet"}},
		{[]string{"-norm", "layer"}, []string{"-norm", "layer"}},
		{[]string{"-input-norm", "whiten"}, []string{"-input-norm"}},
		{[]string{"-init", "orthogonal"}, []string{"-init"}},
		{[]string{"-activation", "swish", "-model", "mlp"}, []string{"-activation", "swish"}},
		{[]string{"-restart-schedule"}, []string{"-restart-schedule"}},
		{[]string{"bench", "-norms", "foo"}, []string{"-norms", "foo"}},
		{[]string{"bench", "-models", "vgg"}, []string{"-models", "vgg"}},
		{[]string{"bench", "-optimizers", "lbfgs"}, []string{"-optimizers", "lbfgs"}},
		{[]string{"bench", "-batch", "mlp=-1"}, []string{"-batch"}},
		{[]string{"bench", "-models", "mlp", "-batch", "lenet=8"}, []string{"-batch", "mlp"}},
	}
	for _, c := range cases {
		out := filepath.Join(t.TempDir(), "run")
		args := append(c.args[:len(c.args):len(c.args)], "-out", out)
		if c.args[0] == "bench" {
			args = c.args
		}
		refused(t, runCLI(t, args...), args, c.want...)
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("train %s: the -out folder was made", strings.Join(args, " "))
		}
	}
}

// TestSizesBeyondMemoryAreRefusedWithAnEstimate: a model and batch whose
// estimated memory exceeds the limit are refused before they are built.
func TestSizesBeyondMemoryAreRefusedWithAnEstimate(t *testing.T) {
	for _, args := range [][]string{
		{"-model", "mlp", "-width", "10000000", "-subset", "100"},
		{"-filters", "100000,100000", "-subset", "100"},
		{"-model", "resnet", "-width", "50000", "-subset", "100"},
		{"-subset", "100", "-max-memory", "1MB"},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args = append(args, "-out", out)
		r := runCLI(t, args...)
		refused(t, r, args, "needs about", "-max-memory", "-batch")
		if _, err := os.Stat(filepath.Join(out, "config.json")); !os.IsNotExist(err) {
			t.Errorf("train %s wrote config.json", strings.Join(args, " "))
		}
	}
}

// TestMisleadingMessagesNameTheCause: the messages the issue found
// misleading now name the flag that is wrong.
func TestMisleadingMessagesNameTheCause(t *testing.T) {
	args := []string{"-subset", "1"}
	r := runCLI(t, args...)
	refused(t, r, args, "-subset 1", "-norm none")
	if strings.Contains(r.stderr, "-batch 1") {
		t.Errorf("-subset 1 blames -batch 1: %s", r.stderr)
	}
	args = []string{"-split", "1:1e308:1e308", "-subset", "10"}
	refused(t, runCLI(t, args...), args, "-split")
	missing := filepath.Join(t.TempDir(), "nothing-here")
	args = []string{"eval", "-run", missing}
	r = runCLI(t, args...)
	refused(t, r, args, "-run", missing)
	if strings.Contains(r.stderr, "resume") {
		t.Errorf("eval blames -resume: %s", r.stderr)
	}
	empty := t.TempDir()
	args = []string{"eval", "-run", empty}
	refused(t, runCLI(t, args...), args, "-run", empty, "no "+checkpointFile)
}

// writeIDX writes an IDX file of unsigned bytes with the given magic's
// dimension count byte and sizes.
func writeIDX(t *testing.T, path string, dims []int, body []byte) {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(body)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tinyMNIST writes an MNIST folder of n training and n test images of side
// train and test.
func tinyMNIST(t *testing.T, n, train, test int) string {
	dir := t.TempDir()
	labels := make([]byte, n)
	for i := range labels {
		labels[i] = byte(i % 10)
	}
	writeIDX(t, filepath.Join(dir, "train-images-idx3-ubyte"), []int{n, train, train}, make([]byte, n*train*train))
	writeIDX(t, filepath.Join(dir, "train-labels-idx1-ubyte"), []int{n}, labels)
	writeIDX(t, filepath.Join(dir, "t10k-images-idx3-ubyte"), []int{n, test, test}, make([]byte, n*test*test))
	writeIDX(t, filepath.Join(dir, "t10k-labels-idx1-ubyte"), []int{n}, labels)
	return dir
}

func TestBadDataFilesNameTheFile(t *testing.T) {
	dir := tinyMNIST(t, 20, 28, 28)
	// The images file declares one dimension: its 784·20 bytes are more than
	// the 20 the header promises.
	images := filepath.Join(dir, "train-images-idx3-ubyte")
	writeIDX(t, images, []int{20}, make([]byte, 20*28*28))
	args := []string{"-data-dir", dir}
	refused(t, runCLI(t, args...), args, images, "wrong magic number")

	dir = tinyMNIST(t, 20, 28, 32)
	args = []string{"-data-dir", dir, "-epochs", "1"}
	refused(t, runCLI(t, args...), args, filepath.Join(dir, "t10k-images-idx3-ubyte"), "32×32")
}

// pngBytes encodes a w×h grey image whose pixels vary with seed.
func pngBytes(t testing.TB, w, h, seed int) []byte {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i*7 + seed*31)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// imageFolder writes classes with n 20×20 images each.
func imageFolder(t *testing.T, n int, classes ...string) string {
	dir := t.TempDir()
	for _, c := range classes {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		for i := range n {
			os.WriteFile(filepath.Join(dir, c, strconv.Itoa(i)+".png"), pngBytes(t, 20, 20, i+len(c)), 0o644)
		}
	}
	return dir
}

// bombPNG is a 33-byte PNG whose header declares 60000×60000 RGBA pixels.
func bombPNG() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 17)
	copy(ihdr, "IHDR")
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	binary.BigEndian.PutUint32(ihdr[8:], 60000)
	ihdr[12], ihdr[13] = 8, 6
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	return b.Bytes()
}

func TestImageFolders(t *testing.T) {
	folderArgs := func(dir string, extra ...string) []string {
		return append([]string{"-dataset", "folder", "-data-dir", dir, "-image-size", "16", "-model", "mlp",
			"-depth", "1", "-width", "4", "-epochs", "1", "-split", "1:0:1", "-quiet"}, extra...)
	}
	t.Run("symlinked class is followed", func(t *testing.T) {
		elsewhere := imageFolder(t, 4, "dog")
		dir := imageFolder(t, 4, "cat")
		if err := os.Symlink(filepath.Join(elsewhere, "dog"), filepath.Join(dir, "dog")); err != nil {
			t.Skip(err)
		}
		r := runCLI(t, folderArgs(dir)...)
		if r.code != 0 || !strings.Contains(r.stdout, "2 classes") {
			t.Errorf("exit %d, stdout %s stderr %s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("symlink loop", func(t *testing.T) {
		dir := imageFolder(t, 4, "cat", "dog")
		os.Symlink(dir, filepath.Join(dir, "cat", "loop"))
		args := folderArgs(dir)
		refused(t, runCLI(t, args...), args, filepath.Join(dir, "cat", "loop"), "loop")
	})
	t.Run("empty class", func(t *testing.T) {
		dir := imageFolder(t, 4, "cat", "dog")
		os.MkdirAll(filepath.Join(dir, "emu"), 0o755)
		args := folderArgs(dir)
		refused(t, runCLI(t, args...), args, filepath.Join(dir, "emu"))
	})
	t.Run("one class", func(t *testing.T) {
		dir := imageFolder(t, 4, "cat")
		args := folderArgs(dir)
		refused(t, runCLI(t, args...), args, dir, "at least 2")
	})
	t.Run("decompression bomb", func(t *testing.T) {
		dir := imageFolder(t, 4, "cat", "dog")
		bomb := filepath.Join(dir, "dog", "bomb.png")
		os.WriteFile(bomb, bombPNG(), 0o644)
		args := folderArgs(dir)
		refused(t, runCLI(t, args...), args, bomb, "60000×60000", "-max-image-pixels")
	})
	t.Run("huge image size", func(t *testing.T) {
		dir := imageFolder(t, 4, "cat", "dog")
		args := folderArgs(dir, "-image-size", "30000")
		refused(t, runCLI(t, args...), args, "-image-size 30000", "needs about")
	})
}

// TestRunFolderIsLocked: a second run on a folder in use fails at once,
// naming the holder's process id, and writes nothing.
func TestRunFolderIsLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	held, err := runfolder.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Unlock()
	args := append([]string{"-out", dir}, tinyRunArgs...)
	refused(t, runCLI(t, args...), args, "-out "+dir, "in use by process "+strconv.Itoa(os.Getpid()))
	args = []string{"sweep", "poly", "-out", dir}
	refused(t, runCLI(t, args...), args, "-out "+dir, "in use by process "+strconv.Itoa(os.Getpid()))
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != runfolder.LockFile {
		t.Errorf("the refused runs wrote into %s: %v", dir, entries)
	}
}

// TestDivergenceIsReportedTruthfully is the run whose weights become
// infinite in float32: no checkpoint is written and the message says so.
func TestDivergenceIsReportedTruthfully(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	args := []string{"-optimizer", "sgd", "-lr", "1e300", "-model", "mlp", "-norm", "none", "-subset", "64",
		"-batch", "all", "-split", "1:0", "-epochs", "3", "-quiet", "-out", dir}
	r := runCLI(t, args...)
	refused(t, r, args, "diverged", "no checkpoint of this run was written to "+dir)
	for _, f := range []string{checkpointFile, "model.safetensors", "config.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s was written", f)
		}
	}

	// With this seed the loss becomes NaN in epoch 2: epoch 1's checkpoint
	// is kept, the message says so, and it evaluates.
	dir = filepath.Join(t.TempDir(), "run")
	args = []string{"-optimizer", "sgd", "-lr", "10", "-model", "mlp", "-norm", "none", "-subset", "64",
		"-batch", "16", "-split", "1:0", "-epochs", "4", "-schedule", "none", "-quiet", "-out", dir}
	refused(t, runCLI(t, args...), args, "epoch 2", "diverged", "the checkpoint of epoch 1, the last with finite values, is kept in "+dir)
	ck, err := loadCheckpoint(dir)
	if err != nil || ck.Epoch != 1 {
		t.Fatalf("kept checkpoint: %v", err)
	}
	if r := runCLI(t, "eval", "-run", dir); r.code != 0 || !strings.Contains(r.stdout, "after epoch 1") {
		t.Errorf("eval of the kept checkpoint: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
}

// TestFailedRunLeavesThePreviousRunWhole: a run that fails in a folder
// holding an earlier run changes none of its files.
func TestFailedRunLeavesThePreviousRunWhole(t *testing.T) {
	dir := tinyRun(t)
	before := map[string][]byte{}
	for _, f := range []string{"config.json", checkpointFile, "metrics.jsonl", "model.safetensors"} {
		before[f], _ = os.ReadFile(filepath.Join(dir, f))
	}
	for _, args := range [][]string{
		append([]string{"-out", dir, "-data-dir", filepath.Join(t.TempDir(), "missing")}, tinyRunArgs...),
		{"-out", dir, "-optimizer", "sgd", "-lr", "1e300", "-model", "mlp", "-norm", "none", "-subset", "64",
			"-batch", "all", "-split", "1:0", "-epochs", "3", "-quiet"},
	} {
		if r := runCLI(t, args...); r.code != 2 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		for f, b := range before {
			if after, _ := os.ReadFile(filepath.Join(dir, f)); !bytes.Equal(after, b) {
				t.Errorf("train %s changed %s", strings.Join(args, " "), f)
			}
		}
	}
}

// TestCorruptCheckpointIsOneLine for -resume and eval, naming the file.
func TestCorruptCheckpointIsOneLine(t *testing.T) {
	dir := tinyRun(t)
	path := filepath.Join(dir, checkpointFile)
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 1
	os.WriteFile(path, b, 0o644)
	for _, args := range [][]string{{"-resume", dir, "-epochs", "2"}, {"eval", "-run", dir}} {
		refused(t, runCLI(t, args...), args, path, "corrupt")
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
		t.Errorf("the corrupt checkpoint was changed")
	}
}

// TestResumeSaysWhatItDoes: flags that would change the run are refused, all
// listed; data may move; extending an ended cosine schedule needs
// -restart-schedule, which starts a new cycle at the initial lr; stale
// temporary files of a killed write are removed.
func TestResumeSaysWhatItDoes(t *testing.T) {
	dir := tinyRun(t)
	ckBefore, _ := os.ReadFile(filepath.Join(dir, checkpointFile))
	args := []string{"-resume", dir, "-lr", "0.5", "-model", "lenet", "-epochs", "2", "-width", "8"}
	r := runCLI(t, args...)
	refused(t, r, args, "-lr 0.5", "-model lenet", "-epochs")
	if strings.Contains(r.stderr, "-width 8 ") {
		t.Errorf("-width 8 is the run's own value, yet refused: %s", r.stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, checkpointFile)); !bytes.Equal(after, ckBefore) {
		t.Errorf("the refused resume changed the checkpoint")
	}

	args = []string{"-resume", dir, "-epochs", "2"}
	refused(t, runCLI(t, args...), args, "-epochs 2", "cosine", "-restart-schedule")

	mnist, err := data.FindGoMNIST()
	if err != nil {
		t.Skip(err)
	}
	moved := t.TempDir()
	entries, _ := os.ReadDir(mnist)
	for _, e := range entries {
		os.Symlink(filepath.Join(mnist, e.Name()), filepath.Join(moved, e.Name()))
	}
	stale := filepath.Join(dir, ".checkpoint.gob.tmp-4242")
	os.WriteFile(stale, []byte("left by kill -9"), 0o644)
	r = runCLI(t, "-resume", dir, "-epochs", "2", "-restart-schedule", "-data-dir", moved, "-quiet")
	if r.code != 0 {
		t.Fatalf("resume with -restart-schedule: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file is still there")
	}
	f, _ := os.Open(filepath.Join(dir, "metrics.jsonl"))
	defer f.Close()
	dec := json.NewDecoder(f)
	var lrs []float64
	for {
		var m struct {
			LR *float64 `json:"lr"`
		}
		if dec.Decode(&m) != nil {
			break
		}
		if m.LR != nil {
			lrs = append(lrs, *m.LR)
		}
	}
	if len(lrs) != 2 || lrs[1] != lrs[0] || lrs[0] != 0.001 {
		t.Errorf("learning rates per epoch %v, want Adam's 0.001 at the start of both cycles", lrs)
	}
	var cfg recipe.Config
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if json.Unmarshal(b, &cfg); cfg.DataDir != moved || cfg.Epochs != 2 || cfg.ScheduleRestart != 1 {
		t.Errorf("config.json: data dir %q, epochs %d, restart %d", cfg.DataDir, cfg.Epochs, cfg.ScheduleRestart)
	}
}
