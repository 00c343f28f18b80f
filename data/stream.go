package data

import (
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Source is a dataset read one sample at a time, as the batch loader of
// package augment reads it. A Dataset (in memory) and a Stream (decoded on
// demand) are Sources.
type Source interface {
	Len() int
	Label(i int) int
	// Name identifies sample i in messages: its file, or its index.
	Name(i int) string
	// ImageShape is the C, H, W that Image(i) gives; a Stream reads it from the
	// image's header alone.
	ImageShape(i int) (c, h, w int, err error)
	// Image returns sample i, written into scratch's memory when the Source has
	// to decode it (scratch may be nil). It is safe to call concurrently with
	// different scratch images.
	Image(i int, scratch *Image) (Image, error)
}

// Label is the class of sample i.
func (d *Dataset) Label(i int) int { return d.Labels[i] }

// Name is "sample i".
func (d *Dataset) Name(i int) string { return fmt.Sprintf("sample %d", i) }

// ImageShape is the shape of image i.
func (d *Dataset) ImageShape(i int) (c, h, w int, err error) {
	m := d.Images[i]
	return m.C, m.H, m.W, nil
}

// Image returns image i itself (no copy); it never fails.
func (d *Dataset) Image(i int, _ *Image) (Image, error) { return d.Images[i], nil }

// StreamOptions set how a Stream decodes its images.
type StreamOptions struct {
	MaxPixels int // the most pixels an image may declare (0: DefaultMaxImagePixels)
	Channels  int // 1 (grey, Pillow's "L") or 3 (RGB; 0 means 3)
}

// Stream is a dataset of image files decoded on demand: only the list of
// files and labels stays in memory, so its size does not bound the dataset's.
// OpenFolder, OpenManifest and OpenShards list one; Image decodes a sample.
type Stream struct {
	Classes []string
	// Ignored counts the files the listing skipped for not being images by
	// their extension (or not being regular files), for the listing's report.
	Ignored int
	// The listing is kept compact, since it is the one part of a Stream that
	// grows with the dataset: samples hold no pointers (the garbage collector
	// skips them) and refer to their folder in dirs and to their name in names.
	dirs      []string // the folders (or tar shards) holding images
	names     []byte   // every sample's base name (or tar member name), one after the other
	samples   []streamSample
	inTar     bool // samples are members of the tar shards in dirs
	channels  int
	maxPixels int
}

// streamSample is where an image lies: a whole file, or size bytes at offset
// inside a tar shard.
type streamSample struct {
	nameStart    int64
	nameLen      int32
	dir          int32
	label        int32
	offset, size int64
}

// add appends a sample: the file (or tar member) name in dir.
func (s *Stream) add(dir, name string, label int, offset, size int64) {
	if len(s.dirs) == 0 || s.dirs[len(s.dirs)-1] != dir {
		s.dirs = append(s.dirs, dir)
	}
	s.samples = append(s.samples, streamSample{
		nameStart: int64(len(s.names)), nameLen: int32(len(name)), dir: int32(len(s.dirs) - 1),
		label: int32(label), offset: offset, size: size,
	})
	s.names = append(s.names, name...)
}

// name is sample i's base name (or tar member name).
func (s *Stream) name(i int) string {
	e := s.samples[i]
	return string(s.names[e.nameStart : e.nameStart+int64(e.nameLen)])
}

func newStream(opts StreamOptions) (*Stream, error) {
	s := &Stream{channels: opts.Channels, maxPixels: opts.MaxPixels}
	if s.channels == 0 {
		s.channels = 3
	}
	if s.channels != 1 && s.channels != 3 {
		return nil, fmt.Errorf("data: %d image channels: want 1 (grey) or 3 (RGB)", opts.Channels)
	}
	if s.maxPixels <= 0 {
		s.maxPixels = DefaultMaxImagePixels
	}
	return s, nil
}

// Len is the number of samples.
func (s *Stream) Len() int { return len(s.samples) }

// Label is the class of sample i.
func (s *Stream) Label(i int) int { return int(s.samples[i].label) }

// Channels is the number of channels of every decoded image.
func (s *Stream) Channels() int { return s.channels }

// Name is the file of sample i, or shard.tar:member for a tar shard's member.
func (s *Stream) Name(i int) string {
	dir := s.dirs[s.samples[i].dir]
	if s.inTar {
		return dir + ":" + s.name(i)
	}
	return filepath.Join(dir, s.name(i))
}

// Counts is the number of samples of each class.
func (s *Stream) Counts() []int {
	counts := make([]int, len(s.Classes))
	for _, e := range s.samples {
		counts[e.label]++
	}
	return counts
}

// Summary reports the listing: the classes with their counts and the files
// ignored.
func (s *Stream) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d images in %d classes (", s.Len(), len(s.Classes))
	for k, n := range s.Counts() {
		if k > 0 {
			b.WriteString(", ")
		}
		if k == 8 && len(s.Classes) > 10 {
			fmt.Fprintf(&b, "… %d more", len(s.Classes)-k)
			break
		}
		fmt.Fprintf(&b, "%s: %d", s.Classes[k], n)
	}
	b.WriteString(")")
	if s.Ignored > 0 {
		fmt.Fprintf(&b, "; %d files that are not images ignored", s.Ignored)
	}
	return b.String()
}

// Subset returns the samples at the given indices, in that order.
func (s *Stream) Subset(indices []int) *Stream {
	sub := *s
	sub.samples = make([]streamSample, len(indices))
	for k, i := range indices {
		sub.samples[k] = s.samples[i]
	}
	return &sub
}

// open returns a reader of sample i's bytes and the file to close.
func (s *Stream) open(i int) (*io.SectionReader, *os.File, error) {
	e := s.samples[i]
	path := s.dirs[e.dir]
	if !s.inTar {
		path = filepath.Join(path, s.name(i))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	size := e.size
	if !s.inTar {
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		size = info.Size()
	}
	if size == 0 {
		f.Close()
		return nil, nil, fmt.Errorf("empty file (0 bytes), not an image")
	}
	return io.NewSectionReader(f, e.offset, size), f, nil
}

// config reads sample i's header.
func (s *Stream) config(i int) (image.Config, error) {
	r, f, err := s.open(i)
	if err != nil {
		return image.Config{}, err
	}
	defer f.Close()
	return DecodeConfig(r, s.maxPixels)
}

// ImageShape reads sample i's header.
func (s *Stream) ImageShape(i int) (c, h, w int, err error) {
	cfg, err := s.config(i)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("data: %s: %w", s.Name(i), err)
	}
	return s.channels, cfg.Height, cfg.Width, nil
}

// Image decodes sample i (its header checked against MaxPixels first) and
// converts it as ToImage does. The error names the file.
func (s *Stream) Image(i int, scratch *Image) (Image, error) {
	m, err := s.decode(i, scratch)
	if err != nil {
		return Image{}, fmt.Errorf("data: %s: %w", s.Name(i), err)
	}
	return m, nil
}

func (s *Stream) decode(i int, scratch *Image) (Image, error) {
	r, f, err := s.open(i)
	if err != nil {
		return Image{}, err
	}
	defer f.Close()
	src, err := DecodeImage(r, s.maxPixels)
	if err != nil {
		return Image{}, err
	}
	if scratch == nil {
		scratch = &Image{}
	}
	return ToImage(src, s.channels, scratch)
}

// StreamSplits are the three sets of a run on a Stream. Val and Test may be
// empty, never nil.
type StreamSplits struct {
	Train, Val, Test *Stream
}

// SplitStream divides a Stream as Split divides a Dataset, by the same rule
// and with the same permutation for the same seed and size. val and test are
// the dataset's own validation and test sets, or nil: a given one is used as
// it is and its part of r ignored (the ImageNet layout's val, for instance).
func SplitStream(train, val, test *Stream, r Ratios, seed uint64) (StreamSplits, error) {
	if val != nil {
		r.Val = 0
	}
	trainIdx, valIdx, testIdx, err := splitIndices(train.Len(), test != nil, r, seed)
	if err != nil {
		return StreamSplits{}, err
	}
	s := StreamSplits{Train: train.Subset(trainIdx), Val: val, Test: test}
	if val == nil {
		s.Val = train.Subset(valIdx)
	}
	if test == nil {
		s.Test = train.Subset(testIdx)
	}
	return s, nil
}
