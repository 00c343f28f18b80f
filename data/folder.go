package data

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // registers JPEG with image.Decode
	_ "image/png"  // registers PNG with image.Decode
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadImageFolder reads a dataset laid out as dir/<class>/<image>: one subfolder per
// class (classes sorted by name, label = position), PNG and JPEG files (by extension
// .png, .jpg, .jpeg, any case) anywhere below it, read in lexical order. Other files
// and names starting with a dot are skipped. Images keep their own sizes. They get
// one channel when every image is grey, else three (RGB; alpha composited onto
// black).
func LoadImageFolder(dir string) (*Dataset, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("data: image folder: %w", err)
	}
	var files []string
	var labels []int
	d := &Dataset{}
	for _, e := range entries { // os.ReadDir sorts by name
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		label := len(d.Classes)
		d.Classes = append(d.Classes, e.Name())
		err := filepath.WalkDir(filepath.Join(dir, e.Name()), func(path string, f fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(f.Name(), ".") {
				if f.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !f.IsDir() && isImageName(f.Name()) {
				files = append(files, path)
				labels = append(labels, label)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("data: image folder: %w", err)
		}
	}
	if len(d.Classes) == 0 {
		return nil, fmt.Errorf("data: image folder %s has no class subfolders", dir)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("data: image folder %s has no .png, .jpg or .jpeg files in its class subfolders", dir)
	}
	channels := 1
	for _, path := range files {
		cfg, err := decodeConfig(path)
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
		src, err := decodeImage(path)
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

func isImageName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg":
		return true
	}
	return false
}

func decodeConfig(path string) (image.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return image.Config{}, fmt.Errorf("data: %s: not a readable PNG or JPEG image: %w", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return image.Config{}, fmt.Errorf("data: %s: empty image (%d×%d)", path, cfg.Width, cfg.Height)
	}
	return cfg, nil
}

func decodeImage(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	m, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("data: %s: not a readable PNG or JPEG image: %w", path, err)
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
