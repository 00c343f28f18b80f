package data

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // registers GIF with image.Decode
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "golang.org/x/image/bmp"  // registers BMP with image.Decode
	_ "golang.org/x/image/tiff" // registers TIFF with image.Decode
	_ "golang.org/x/image/webp" // registers WebP with image.Decode
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
// torchvision's ImageFolder does, into memory: the listing of OpenFolder (one
// subfolder per class, classes sorted by name, label = position, images
// anywhere below it in lexical order, symbolic links followed, loops, empty
// classes and fewer than two classes refused), every image decoded as
// Stream.Image does. An image whose header declares more than MaxPixels
// pixels is refused before it is decoded, like a corrupt one. Images keep
// their own sizes. They get one channel when every image is grey, else three
// (RGB, as Pillow's convert gives them).
func LoadImageFolderWith(dir string, opts FolderOptions) (*Dataset, error) {
	s, err := listImageFolder(dir, StreamOptions{MaxPixels: opts.MaxPixels})
	if err != nil {
		return nil, err
	}
	s.channels = 1
	for i := range s.samples {
		cfg, err := s.config(i)
		if err != nil {
			return nil, fmt.Errorf("data: %s: %w", s.Name(i), err)
		}
		if cfg.ColorModel != color.GrayModel && cfg.ColorModel != color.Gray16Model {
			s.channels = 3
			break
		}
	}
	d := &Dataset{Classes: s.Classes, Images: make([]Image, s.Len()), Labels: make([]int, s.Len())}
	for i := range d.Images {
		if d.Images[i], err = s.Image(i, nil); err != nil {
			return nil, err
		}
		d.Labels[i] = s.Label(i)
	}
	return d, nil
}

// gifScreen places a GIF's first frame, which may cover only part of the
// logical screen the header declares, on a screen-sized image as Pillow does:
// the rest is palette index 0, or the transparent index when there is one
// (image/gif has then replaced that entry's colour by transparent black, so
// such pixels come out black where Pillow gives the entry's colour).
func gifScreen(frame *image.Paletted, cfg image.Config) *image.Paletted {
	screen := image.Rect(0, 0, cfg.Width, cfg.Height)
	if frame.Rect == screen || !frame.Rect.In(screen) {
		return frame
	}
	fill := uint8(0)
	for i, c := range frame.Palette {
		if _, _, _, a := c.RGBA(); a == 0 {
			fill = uint8(i)
			break
		}
	}
	out := image.NewPaletted(screen, frame.Palette)
	for i := range out.Pix {
		out.Pix[i] = fill
	}
	for y := frame.Rect.Min.Y; y < frame.Rect.Max.Y; y++ {
		copy(out.Pix[out.PixOffset(frame.Rect.Min.X, y):], frame.Pix[frame.PixOffset(frame.Rect.Min.X, y):frame.PixOffset(frame.Rect.Max.X, y)])
	}
	return out
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

// walkFiles calls file for every entry below dir that is not a folder, in
// lexical order, following symbolic links and skipping names that start with a
// dot. ancestors are the folders being walked: a folder that is one of them
// again is a loop.
func walkFiles(dir string, ancestors []os.FileInfo, file func(path string, e fs.DirEntry)) error {
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
			if err := walkFiles(path, ancestors, file); err != nil {
				return err
			}
		} else {
			file(path, e)
		}
	}
	return nil
}

// isRegularFile reports whether the entry at path is a regular file or a
// symbolic link to one: pipes and devices, which could block a reader, are not.
func isRegularFile(path string, e fs.DirEntry) bool {
	if e.Type().IsRegular() {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular()
}

// isImageName reports whether a file name has the extension of a format
// DecodeImage reads: torchvision's image extensions but for PPM and PGM, plus GIF.
func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp":
		return true
	}
	return false
}

// DecodeConfig reads an image's header: a readable image of at least
// one pixel and at most maxPixels pixels.
func DecodeConfig(r io.Reader, maxPixels int) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(r)
	if err != nil {
		return image.Config{}, fmt.Errorf("not a readable PNG, JPEG, GIF, BMP, TIFF or WebP image: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, fmt.Errorf("empty image (%d×%d)", cfg.Width, cfg.Height)
	}
	if cfg.Width > maxPixels/cfg.Height {
		return image.Config{}, fmt.Errorf("%w: the header declares %d×%d pixels, more than the limit of %d", ErrImageTooLarge, cfg.Width, cfg.Height, maxPixels)
	}
	return cfg, nil
}

// DecodeImage decodes a PNG, JPEG, GIF (its first frame), BMP, TIFF or WebP
// image whose header DecodeConfig accepts
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
	m, format, err := image.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable PNG, JPEG, GIF, BMP, TIFF or WebP image: %w", err)
	}
	if p, ok := m.(*image.Paletted); ok && format == "gif" {
		m = gifScreen(p, cfg)
	}
	if b := m.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("decoded %d×%d pixels, the header declares %d×%d", b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return m, nil
}
