package data

import (
	"archive/tar"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// OpenFolder lists an image folder without decoding it: dir/<class>/<image>
// as torchvision's ImageFolder reads it (see LoadImageFolderWith), or the
// ImageNet layout dir/train/<class>/… with dir/val/<class>/…, recognised when
// train and val are dir's only subfolders. val is then the validation split
// (nil otherwise); its classes must be train's. Files that are not images by
// their extension are skipped and counted in Stream.Ignored.
func OpenFolder(dir string, opts StreamOptions) (train, val *Stream, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("data: image folder: %w", err)
	}
	var subfolders []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") && isDirOrLinkToDir(filepath.Join(dir, e.Name()), e) {
			subfolders = append(subfolders, e.Name())
		}
	}
	if !slices.Equal(subfolders, []string{"train", "val"}) {
		train, err = listImageFolder(dir, opts)
		return train, nil, err
	}
	if train, err = listImageFolder(filepath.Join(dir, "train"), opts); err != nil {
		return nil, nil, err
	}
	if val, err = listImageFolder(filepath.Join(dir, "val"), opts); err != nil {
		return nil, nil, err
	}
	if !slices.Equal(train.Classes, val.Classes) {
		return nil, nil, fmt.Errorf("data: image folder %s: the classes of val (%s) are not those of train (%s)",
			dir, abbreviate(val.Classes), abbreviate(train.Classes))
	}
	return train, val, nil
}

// abbreviate lists names, at most ten of them.
func abbreviate(names []string) string {
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(", … (%d in all)", len(names))
	}
	return strings.Join(names, ", ")
}

// listImageFolder lists dir/<class>/<image> (see LoadImageFolderWith).
func listImageFolder(dir string, opts StreamOptions) (*Stream, error) {
	s, err := newStream(opts)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	root, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	for _, e := range entries { // os.ReadDir sorts by name
		path := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") || !isDirOrLinkToDir(path, e) {
			continue
		}
		label := len(s.Classes)
		s.Classes = append(s.Classes, e.Name())
		before := len(s.samples)
		if err := walkFiles(path, []os.FileInfo{root}, func(file string, e fs.DirEntry) {
			if isImageName(e.Name()) && isRegularFile(file, e) {
				s.add(filepath.Dir(file), filepath.Base(file), label, 0, 0)
			} else {
				s.Ignored++
			}
		}); err != nil {
			return nil, fmt.Errorf("data: image folder: %w", err)
		}
		if len(s.samples) == before {
			return nil, fmt.Errorf("data: image folder: class folder %s holds no image files (.png, .jpg, .jpeg, .gif, .bmp, .tif, .tiff, .webp)", path)
		}
	}
	if len(s.Classes) < 2 {
		return nil, fmt.Errorf("data: image folder %s has %d class subfolders (%s), a classifier needs at least 2", dir, len(s.Classes), strings.Join(s.Classes, ", "))
	}
	return s, nil
}

// OpenManifest lists the images of a CSV manifest: rows path,label (an
// optional first row "path,label" is a header), paths relative to the
// manifest's folder. When every label is a non-negative integer, labels are
// class indices and the classes are named "0", "1", …; otherwise labels are
// class names, indexed in sorted order as ImageFolder does. A class without
// images is an error. Rows whose path is not an image by its extension are
// skipped and counted in Stream.Ignored; the files are not opened until read.
func OpenManifest(file string, opts StreamOptions) (*Stream, error) {
	s, err := newStream(opts)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("data: manifest: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = 2
	r.TrimLeadingSpace = true
	r.ReuseRecord = true
	base := filepath.Dir(file)
	var names []string
	for row := 1; ; row++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("data: manifest %s: %w", file, err)
		}
		path, label := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if row == 1 && strings.EqualFold(path, "path") && strings.EqualFold(label, "label") {
			continue
		}
		if path == "" || label == "" {
			return nil, fmt.Errorf("data: manifest %s, row %d: empty path or label", file, row)
		}
		if !isImageName(path) {
			s.Ignored++
			continue
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(base, path)
		}
		s.add(filepath.Dir(path), filepath.Base(path), 0, 0, 0)
		names = append(names, label)
	}
	if err := s.labelByName(names, "manifest "+file); err != nil {
		return nil, err
	}
	return s, nil
}

// labelByName sets the samples' labels from their class names, or indices
// when all of them are (see OpenManifest), and checks that every class has
// images and that there are at least two.
func (s *Stream) labelByName(names []string, what string) error {
	indices := make([]int, len(names))
	numeric := true
	for i, name := range names {
		k, err := strconv.Atoi(name)
		if err != nil || k < 0 {
			numeric = false
			break
		}
		indices[i] = k
	}
	if numeric {
		n := 0
		for _, k := range indices {
			n = max(n, k+1)
		}
		if n > len(names) { // also bounds the list of class names made below
			return fmt.Errorf("data: %s: class index %d with %d images leaves classes without images", what, n-1, len(names))
		}
		for k := range n {
			s.Classes = append(s.Classes, strconv.Itoa(k))
		}
	} else {
		seen := map[string]int{}
		for _, name := range names {
			seen[name] = 0
		}
		for name := range seen {
			s.Classes = append(s.Classes, name)
		}
		sort.Strings(s.Classes)
		for k, name := range s.Classes {
			seen[name] = k
		}
		for i, name := range names {
			indices[i] = seen[name]
		}
	}
	for i := range s.samples {
		s.samples[i].label = int32(indices[i])
	}
	for k, n := range s.Counts() {
		if n == 0 {
			return fmt.Errorf("data: %s: class %s has no images (labels are indices 0…%d)", what, s.Classes[k], len(s.Classes)-1)
		}
	}
	if len(s.Classes) < 2 {
		return fmt.Errorf("data: %s: %d classes, a classifier needs at least 2", what, len(s.Classes))
	}
	return nil
}

// maxClassFile bounds the size of a shard's KEY.cls member.
const maxClassFile = 64

// OpenShards lists the WebDataset-style tar shards dir/*.tar (in name order):
// each sample is a member KEY.jpg, KEY.jpeg or KEY.png (or another image
// extension) with a member KEY.cls holding its class index as decimal text,
// KEY being the member's path up to the first dot of its base name. Classes
// are named "0", "1", … up to the largest index; a class without images is
// an error. Other members are skipped and counted in Stream.Ignored. Only the
// positions of the images are kept: they are read from the shard on demand.
func OpenShards(dir string, opts StreamOptions) (*Stream, error) {
	s, err := newStream(opts)
	if err != nil {
		return nil, err
	}
	s.inTar = true
	shards, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	if err != nil {
		return nil, fmt.Errorf("data: tar shards: %w", err)
	}
	if len(shards) == 0 {
		return nil, fmt.Errorf("data: tar shards: %s holds no .tar files", dir)
	}
	var labels []string
	for _, shard := range shards {
		if labels, err = s.listShard(shard, labels); err != nil {
			return nil, fmt.Errorf("data: tar shard %s: %w", shard, err)
		}
	}
	if err := s.labelByName(labels, "tar shards in "+dir); err != nil {
		return nil, err
	}
	if len(s.Classes) > 0 && s.Classes[0] != "0" {
		return nil, fmt.Errorf("data: tar shards in %s: .cls members must hold class indices 0, 1, …", dir)
	}
	return s, nil
}

// listShard appends one shard's samples to s and their .cls texts to labels.
func (s *Stream) listShard(shard string, labels []string) ([]string, error) {
	f, err := os.Open(shard)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	type pending struct {
		image int // index into s.samples, or -1
		class string
	}
	keys := map[string]*pending{}
	var imageKeys []string // the key of each image, in member order
	tr := tar.NewReader(f) // reads the file unbuffered, so f's position is the member's data
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		base := filepath.Base(h.Name)
		dot := strings.IndexByte(base, '.')
		if h.Typeflag != tar.TypeReg || dot <= 0 {
			s.Ignored++
			continue
		}
		key := filepath.ToSlash(filepath.Join(filepath.Dir(h.Name), base[:dot]))
		ext := strings.ToLower(base[dot:])
		isClass := ext == ".cls"
		if !isClass && !isImageName(base) {
			s.Ignored++
			continue
		}
		p := keys[key]
		if p == nil {
			p = &pending{image: -1}
			keys[key] = p
		}
		if isClass {
			if h.Size > maxClassFile {
				return nil, fmt.Errorf("%s: %d bytes, a class index is at most %d", h.Name, h.Size, maxClassFile)
			}
			text, err := io.ReadAll(tr)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", h.Name, err)
			}
			p.class = strings.TrimSpace(string(text))
			if k, err := strconv.Atoi(p.class); err != nil || k < 0 {
				return nil, fmt.Errorf("%s holds %q, not a class index", h.Name, p.class)
			}
			continue
		}
		if p.image >= 0 {
			return nil, fmt.Errorf("key %s has two images (%s and %s)", key, s.name(p.image), h.Name)
		}
		offset, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		p.image = len(s.samples)
		s.add(shard, h.Name, 0, offset, h.Size)
		imageKeys = append(imageKeys, key)
	}
	for _, key := range imageKeys {
		p := keys[key]
		if p.class == "" {
			return nil, fmt.Errorf("%s has no %s.cls member giving its class", s.name(p.image), key)
		}
		labels = append(labels, p.class)
	}
	for _, p := range keys {
		if p.image < 0 {
			s.Ignored++ // a .cls without an image
		}
	}
	return labels, nil
}
