package data

import (
	"archive/tar"
	"bytes"
	"fmt"
	"image"
	"image/gif"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// encodings are one small image in every format the data package reads, the
// WebP one copied from the Pillow fixtures (Go has no WebP encoder).
func encodings(t *testing.T) map[string][]byte {
	t.Helper()
	m := pattern(image.NewNRGBA(image.Rect(0, 0, 6, 4)), 6, 4, 7)
	var g, b, tf bytes.Buffer
	if err := gif.Encode(&g, m, nil); err != nil {
		t.Fatal(err)
	}
	if err := bmp.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := tiff.Encode(&tf, m, nil); err != nil {
		t.Fatal(err)
	}
	webp, err := os.ReadFile("testdata/pil/rgba_lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"png": encodePNG(t, m), "jpg": encodeJPEG(t, m), "gif": g.Bytes(),
		"bmp": b.Bytes(), "tiff": tf.Bytes(), "webp": webp,
	}
}

// decodeBytes is the reference: the encoded image decoded and converted
// directly.
func decodeBytes(t *testing.T, b []byte, channels int) Image {
	t.Helper()
	src, err := DecodeImage(bytes.NewReader(b), DefaultMaxImagePixels)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ToImage(src, channels, &Image{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// checkStream reads every sample of s into one reused scratch image and
// compares it, its header's shape and its label with the expected ones.
func checkStream(t *testing.T, s *Stream, want []Image, labels []int) {
	t.Helper()
	if s.Len() != len(want) {
		t.Fatalf("%d samples, want %d", s.Len(), len(want))
	}
	var scratch Image
	for i := range want {
		m, err := s.Image(i, &scratch)
		if err != nil {
			t.Fatal(err)
		}
		if m.C != want[i].C || m.H != want[i].H || m.W != want[i].W || !bytes.Equal(m.Pix, want[i].Pix) || s.Label(i) != labels[i] {
			t.Fatalf("sample %d (%s): %d×%d×%d label %d differs from the expected %d×%d×%d label %d",
				i, s.Name(i), m.C, m.H, m.W, s.Label(i), want[i].C, want[i].H, want[i].W, labels[i])
		}
		if c, h, w, err := s.ImageShape(i); err != nil || c != m.C || h != m.H || w != m.W {
			t.Fatalf("sample %d: ImageShape %d×%d×%d (%v), decoded %d×%d×%d", i, c, h, w, err, m.C, m.H, m.W)
		}
	}
}

func TestOpenFolderEveryEncoding(t *testing.T) {
	enc := encodings(t)
	formats := []string{"bmp", "gif", "jpg", "png", "tiff", "webp"} // the files' lexical order
	for _, channels := range []int{1, 3} {
		dir := t.TempDir()
		var want []Image
		var labels []int
		for k, class := range []string{"cat", "dog"} {
			for _, f := range formats {
				writeFile(t, filepath.Join(dir, class, "img."+f), enc[f])
				want = append(want, decodeBytes(t, enc[f], channels))
				labels = append(labels, k)
			}
		}
		writeFile(t, filepath.Join(dir, "cat", "notes.txt"), []byte("x"))
		writeFile(t, filepath.Join(dir, "dog", "image.ppm"), []byte("P3"))
		if err := syscall.Mkfifo(filepath.Join(dir, "dog", "pipe.jpg"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(dir, "missing.png"), filepath.Join(dir, "dog", "dangling.png")); err != nil {
			t.Fatal(err)
		}
		train, val, err := OpenFolder(dir, StreamOptions{Channels: channels})
		if err != nil {
			t.Fatal(err)
		}
		if val != nil || !slices.Equal(train.Classes, []string{"cat", "dog"}) || train.Ignored != 4 {
			t.Fatalf("classes %v, val %v, %d ignored (want 4: .txt, .ppm, a pipe, a dangling link)", train.Classes, val, train.Ignored)
		}
		if !slices.Equal(train.Counts(), []int{6, 6}) || !strings.Contains(train.Summary(), "12 images in 2 classes (cat: 6, dog: 6); 4 files") {
			t.Fatalf("counts %v, summary %q", train.Counts(), train.Summary())
		}
		checkStream(t, train, want, labels)
	}
}

func TestOpenFolderImageNetLayout(t *testing.T) {
	dir := t.TempDir()
	px := encodePNG(t, image.NewGray(image.Rect(0, 0, 3, 2)))
	for _, f := range []string{"train/b/1.png", "train/b/2.png", "train/a/3.png", "val/a/4.png", "val/b/5.png"} {
		writeFile(t, filepath.Join(dir, f), px)
	}
	train, val, err := OpenFolder(dir, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if val == nil || train.Len() != 3 || val.Len() != 2 || !slices.Equal(val.Classes, []string{"a", "b"}) ||
		val.Label(0) != 0 || val.Label(1) != 1 || train.Name(0) != filepath.Join(dir, "train/a/3.png") {
		t.Fatalf("train %v (%d), val %v", train.Classes, train.Len(), val)
	}
	writeFile(t, filepath.Join(dir, "val/c/6.png"), px)
	if _, _, err := OpenFolder(dir, StreamOptions{}); err == nil || !strings.Contains(err.Error(), "classes of val (a, b, c)") {
		t.Fatalf("val with an extra class: %v", err)
	}
	// A third top-level folder means train and val are ordinary classes.
	writeFile(t, filepath.Join(dir, "test/x/7.png"), px)
	train, val, err = OpenFolder(dir, StreamOptions{})
	if err != nil || val != nil || !slices.Equal(train.Classes, []string{"test", "train", "val"}) {
		t.Fatalf("three folders: classes %v, val %v, %v", train.Classes, val, err)
	}
}

func TestOpenManifest(t *testing.T) {
	enc := encodings(t)
	dir := t.TempDir()
	for _, f := range []string{"png", "jpg", "webp"} {
		writeFile(t, filepath.Join(dir, "imgs", "x."+f), enc[f])
	}
	want := []Image{decodeBytes(t, enc["png"], 3), decodeBytes(t, enc["jpg"], 3), decodeBytes(t, enc["webp"], 3)}
	byName := writeFile(t, filepath.Join(dir, "names.csv"), []byte("path,label\nimgs/x.png,zebra\nimgs/x.jpg, ant\nimgs/x.webp,zebra\nreadme.txt,ant\n"))
	s, err := OpenManifest(byName, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Classes, []string{"ant", "zebra"}) || s.Ignored != 1 {
		t.Fatalf("classes %v, %d ignored", s.Classes, s.Ignored)
	}
	checkStream(t, s, want, []int{1, 0, 1})

	byIndex := writeFile(t, filepath.Join(dir, "indices.csv"), []byte("imgs/x.png,1\nimgs/x.jpg,0\nimgs/x.webp,1\n"))
	if s, err = OpenManifest(byIndex, StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Classes, []string{"0", "1"}) {
		t.Fatalf("classes %v", s.Classes)
	}
	checkStream(t, s, want, []int{1, 0, 1})

	for content, msg := range map[string]string{
		"imgs/x.png,0\nimgs/x.jpg,2\nimgs/x.webp,2\n": "class 1 has no images",
		"imgs/x.png,0\nimgs/x.jpg\n":                  "wrong number of fields",
		"imgs/x.png,a\nimgs/x.jpg,a\n":                "1 classes",
		"imgs/x.png,a\n,b\n":                          "row 2: empty path",
	} {
		bad := writeFile(t, filepath.Join(dir, "bad.csv"), []byte(content))
		if _, err := OpenManifest(bad, StreamOptions{}); err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), bad) {
			t.Errorf("manifest %q: error %v, want one naming %s and saying %q", content, err, bad, msg)
		}
	}
}

// writeShard writes a tar of the given members, in order.
func writeShard(t *testing.T, path string, members ...any) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for k := 0; k < len(members); k += 2 {
		name, body := members[k].(string), members[k+1].([]byte)
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

func TestOpenShards(t *testing.T) {
	enc := encodings(t)
	dir := t.TempDir()
	// The class may come before or after its image; keys may have folders.
	writeShard(t, filepath.Join(dir, "shard-000.tar"),
		"a/s1.cls", []byte("1\n"), "a/s1.jpg", enc["jpg"],
		"s2.png", enc["png"], "s2.cls", []byte("0"), "s2.json", []byte("{}"))
	writeShard(t, filepath.Join(dir, "shard-001.tar"),
		"s3.webp", enc["webp"], "s3.cls", []byte("2"), "s4.cls", []byte("0"))
	s, err := OpenShards(dir, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Classes, []string{"0", "1", "2"}) || s.Ignored != 2 {
		t.Fatalf("classes %v, %d ignored (want 2: a .json and a .cls without image)", s.Classes, s.Ignored)
	}
	if s.Name(0) != filepath.Join(dir, "shard-000.tar")+":a/s1.jpg" {
		t.Fatalf("name %s", s.Name(0))
	}
	checkStream(t, s, []Image{decodeBytes(t, enc["jpg"], 3), decodeBytes(t, enc["png"], 3), decodeBytes(t, enc["webp"], 3)}, []int{1, 0, 2})

	for _, c := range []struct {
		members []any
		msg     string
	}{
		{[]any{"k.png", enc["png"]}, "k.png has no k.cls"},
		{[]any{"k.png", enc["png"], "k.cls", []byte("cat")}, `k.cls holds "cat"`},
		{[]any{"k.png", enc["png"], "k.jpg", enc["jpg"], "k.cls", []byte("0")}, "key k has two images"},
	} {
		bad := t.TempDir()
		writeShard(t, filepath.Join(bad, "x.tar"), c.members...)
		if _, err := OpenShards(bad, StreamOptions{}); err == nil || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "x.tar") {
			t.Errorf("error %v, want one naming x.tar and saying %q", err, c.msg)
		}
	}
	writeFile(t, filepath.Join(dir, "trunc.tar"), []byte("not a tar at all, far too short"))
	if _, err := OpenShards(dir, StreamOptions{}); err == nil || !strings.Contains(err.Error(), "trunc.tar") {
		t.Errorf("corrupt shard: %v", err)
	}
}

func TestStreamBadFilesNamed(t *testing.T) {
	dir := t.TempDir()
	px := encodePNG(t, image.NewGray(image.Rect(0, 0, 2, 2)))
	writeFile(t, filepath.Join(dir, "a", "1.png"), px)
	empty := writeFile(t, filepath.Join(dir, "a", "2.png"), nil)
	corrupt := writeFile(t, filepath.Join(dir, "b", "3.jpg"), []byte("\xff\xd8 not really a JPEG"))
	bomb := writeFile(t, filepath.Join(dir, "b", "4.png"), hugePNG(60000, 60000))
	s, _, err := OpenFolder(dir, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]string{1: empty + ": empty file (0 bytes)", 2: corrupt + ": not a readable", 3: bomb + ": image too large"} {
		if _, err := s.Image(i, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("sample %d: %v, want %q", i, err, want)
		}
		if _, _, _, err := s.ImageShape(i); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("sample %d header: %v, want %q", i, err, want)
		}
	}
}

func TestOpenFolderUnreadableClass(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads folders whatever their permissions")
	}
	dir := twoClasses(t)
	locked := filepath.Join(dir, "b")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o755)
	if _, _, err := OpenFolder(dir, StreamOptions{}); err == nil || !strings.Contains(err.Error(), locked) {
		t.Fatalf("unreadable class folder: %v", err)
	}
}

func TestOpenFolderSymlinkLoop(t *testing.T) {
	dir := twoClasses(t)
	if err := os.Symlink(filepath.Join(dir, "b"), filepath.Join(dir, "b", "again")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := OpenFolder(dir, StreamOptions{}); err == nil || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("symlink loop: %v", err)
	}
}

// A Stream splits as the same folder read into memory does.
func TestSplitStreamMatchesSplit(t *testing.T) {
	dir := t.TempDir()
	for i := range 17 {
		m := pattern(image.NewNRGBA(image.Rect(0, 0, 3+i%4, 2+i%3)), 3+i%4, 2+i%3, i)
		writeFile(t, filepath.Join(dir, []string{"a", "b", "c"}[i%3], fmt.Sprintf("%02d.png", i)), encodePNG(t, m))
	}
	inMemory, err := LoadImageFolderWith(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := OpenFolder(dir, StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := Ratios{Train: 6, Val: 2, Test: 2}
	want, err := Split(inMemory, nil, r, 11)
	if err != nil {
		t.Fatal(err)
	}
	got, err := SplitStream(s, nil, nil, r, 11)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		name string
		d    *Dataset
		s    *Stream
	}{{"train", want.Train, got.Train}, {"val", want.Val, got.Val}, {"test", want.Test, got.Test}} {
		checkStream(t, p.s, p.d.Images, p.d.Labels)
	}
	// A validation set of its own is kept, and the rest split train:test.
	withVal, err := SplitStream(s, got.Val, nil, r, 11)
	if err != nil || withVal.Val != got.Val || withVal.Train.Len()+withVal.Test.Len() != 17 || withVal.Test.Len() != 4 {
		t.Fatalf("with a validation set: %d train, %d test (%v)", withVal.Train.Len(), withVal.Test.Len(), err)
	}
}

func TestManifestHugeClassIndex(t *testing.T) {
	dir := t.TempDir()
	manifest := writeFile(t, filepath.Join(dir, "m.csv"), []byte("a.png,0\nb.png,99999999999\n"))
	if _, err := OpenManifest(manifest, StreamOptions{}); err == nil || !strings.Contains(err.Error(), "class index 99999999999 with 2 images") {
		t.Fatalf("huge class index: %v", err)
	}
}
