package data

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultMaxImagePixels is Pillow's Image.MAX_IMAGE_PIXELS: the default bound
// on the pixels (width × height) an image's header may declare.
const DefaultMaxImagePixels = 89478485

// ErrImageTooLarge is wrapped by the error of an image whose header declares
// more pixels than allowed.
var ErrImageTooLarge = errors.New("image too large")

// FolderOptions are the bounds LoadImageFolderWith applies.
type FolderOptions struct {
	MaxPixels int // the most pixels an image may declare (0: DefaultMaxImagePixels)
}

// LoadImageFolder is LoadImageFolderWith with the default options.
func LoadImageFolder(dir string) (*Dataset, error) {
	return LoadImageFolderWith(dir, FolderOptions{})
}

// LoadImageFolderWith reads a dataset laid out as dir/<class>/<image>, as
// torchvision's ImageFolder does: one subfolder per class (classes sorted by
// name, label = position), PNG and JPEG files (by extension .png, .jpg, .jpeg,
// any case) anywhere below it, read in lexical order. Symbolic links to
// folders and files are followed; a link that leads back into a folder being
// walked is an error. Other files and names starting with a dot are skipped.
// A class without images and a dataset of fewer than two classes are errors.
// An image whose header declares more than MaxPixels pixels is refused before
// it is decoded, like a corrupt one. Images keep their own sizes. They get one
// channel when every image is grey, else three (RGB; alpha composited onto
// black).
func LoadImageFolderWith(dir string, opts FolderOptions) (*Dataset, error) {
	maxPixels := opts.MaxPixels
	if maxPixels <= 0 {
		maxPixels = DefaultMaxImagePixels
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	root, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	var files []string
	var labels []int
	d := &Dataset{}
	for _, e := range entries { // os.ReadDir sorts by name
		path := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") || !isDirOrLinkToDir(path, e) {
			continue
		}
		label := len(d.Classes)
		d.Classes = append(d.Classes, e.Name())
		before := len(files)
		if err := walkImages(path, []os.FileInfo{root}, func(file string) {
			files = append(files, file)
			labels = append(labels, label)
		}); err != nil {
			return nil, fmt.Errorf("data: image folder: %w", err)
		}
		if len(files) == before {
			return nil, fmt.Errorf("data: image folder: class folder %s holds no .png, .jpg or .jpeg files", path)
		}
	}
	if len(d.Classes) < 2 {
		return nil, fmt.Errorf("data: image folder %s has %d class subfolders (%s), a classifier needs at least 2", dir, len(d.Classes), strings.Join(d.Classes, ", "))
	}
	channels := 1
	for _, path := range files {
		cfg, err := decodeConfigFile(path, maxPixels)
		if err != nil {
			return nil, err
		}
		if cfg.ColorModel != color.GrayModel && cfg.ColorModel != color.Gray16Model {
			channels = 3
			break
		}
	}
	d.Images = make([]Image, len(files))
	d.Labels = labels
	var rgba *image.RGBA // reused across images of the same size
	for i, path := range files {
		src, err := decodeImageFile(path, maxPixels)
		if err != nil {
			return nil, err
		}
		if channels == 1 {
			d.Images[i] = grayImage(src)
			continue
		}
		b := src.Bounds()
		if rgba == nil || rgba.Rect.Size() != b.Size() {
			rgba = image.NewRGBA(image.Rectangle{Max: b.Size()})
		}
		draw.Draw(rgba, rgba.Rect, src, b.Min, draw.Src)
		d.Images[i] = rgbImage(rgba)
	}
	return d, nil
}

// isDirOrLinkToDir reports whether the entry at path is a folder, or a
// symbolic link to one.
func isDirOrLinkToDir(path string, e fs.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// walkImages calls found for every image file below dir, in lexical order,
// following symbolic links. ancestors are the folders being walked: a folder
// that is one of them again is a loop.
func walkImages(dir string, ancestors []os.FileInfo, found func(string)) error {
	info, err := os.Stat(dir)
	if err != nil {
		return err
	}
	for _, a := range ancestors {
		if os.SameFile(a, info) {
			return fmt.Errorf("%s leads back to a folder that contains it (a symbolic link loop)", dir)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	ancestors = append(ancestors, info)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if isDirOrLinkToDir(path, e) {
			if err := walkImages(path, ancestors, found); err != nil {
				return err
			}
		} else if isImageName(e.Name()) {
			found(path)
		}
	}
	return nil
}

func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

// DecodeConfig reads an image's header: a readable PNG or JPEG of at least
// one pixel and at most maxPixels pixels.
func DecodeConfig(r io.Reader, maxPixels int) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return image.Config{}, fmt.Errorf("not a readable PNG or JPEG image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, fmt.Errorf("empty image (%d×%d)", cfg.Width, cfg.Height)
	}
	if cfg.Width > maxPixels/cfg.Height {
		return image.Config{}, fmt.Errorf("%w: the header declares %d×%d pixels, more than the limit of %d", ErrImageTooLarge, cfg.Width, cfg.Height, maxPixels)
	}
	return cfg, nil
}

// DecodeImage decodes a PNG or JPEG image whose header DecodeConfig accepts
// with maxPixels; the header is read first, so a header that declares a huge
// image allocates nothing.
func DecodeImage(r io.ReadSeeker, maxPixels int) (image.Image, error) {
	cfg, err := DecodeConfig(r, maxPixels)
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	m, _, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable PNG or JPEG image: %w", err)
	}
	if b := m.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("decoded %d×%d pixels, the header declares %d×%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return m, nil
}

func decodeConfigFile(path string, maxPixels int) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	cfg, err := DecodeConfig(f, maxPixels)
	if err != nil {
		return image.Config{}, fmt.Errorf("data: %s: %w", path, err)
	}
	return cfg, nil
}

func decodeImageFile(path string, maxPixels int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	m, err := DecodeImage(f, maxPixels)
	if err != nil {
		return nil, fmt.Errorf("data: %s: %w", path, err)
	}
	return m, nil
}

// grayImage converts src to a 1×H×W image.
func grayImage(src image.Image) Image {
	b := src.Bounds()
	m := NewImage(1, b.Dy(), b.Dx())
	if g, ok := src.(*image.Gray); ok {
		for y := 0; y < m.H; y++ {
			copy(m.Pix[y*m.W:(y+1)*m.W], g.Pix[y*g.Stride:])
		}
		return m
	}
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			m.Pix[y*m.W+x] = color.GrayModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return m
}

// rgbImage copies the colour planes of src (premultiplied, so alpha is composited
// onto black) into a 3×H×W image.
func rgbImage(src *image.RGBA) Image {
	h, w := src.Rect.Dy(), src.Rect.Dx()
	m := NewImage(3, h, w)
	r, g, bl := m.Plane(0), m.Plane(1), m.Plane(2)
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			r[y*w+x], g[y*w+x], bl[y*w+x] = row[4*x], row[4*x+1], row[4*x+2]
		}
	}
	return m
}
