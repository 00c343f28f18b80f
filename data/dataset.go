package data

import "fmt"

// Dataset is a list of labelled images. Labels[i] is the class of Images[i], an index
// into Classes.
type Dataset struct {
	Images  []Image
	Labels  []int
	Classes []string
}

// slabDataset makes n images of shape c×h×w that are consecutive views of slab
// (len n·c·h·w), with zero labels to fill in.
func slabDataset(slab []uint8, n, c, h, w int, classes []string) *Dataset {
	size := c * h * w
	d := &Dataset{Images: make([]Image, n), Labels: make([]int, n), Classes: classes}
	for i := range d.Images {
		d.Images[i] = Image{C: c, H: h, W: w, Pix: slab[i*size : (i+1)*size : (i+1)*size]}
	}
	return d
}

// Len is the number of samples.
func (d *Dataset) Len() int { return len(d.Images) }

// Shape returns the C, H, W shared by all images; ok is false when the dataset is
// empty or its images differ in shape.
func (d *Dataset) Shape() (c, h, w int, ok bool) {
	if len(d.Images) == 0 {
		return 0, 0, 0, false
	}
	first := d.Images[0]
	for _, m := range d.Images[1:] {
		if m.C != first.C || m.H != first.H || m.W != first.W {
			return 0, 0, 0, false
		}
	}
	return first.C, first.H, first.W, true
}

// Subset returns the samples at the given indices, in that order. The images share
// pixel memory with d.
func (d *Dataset) Subset(indices []int) *Dataset {
	s := &Dataset{Images: make([]Image, len(indices)), Labels: make([]int, len(indices)), Classes: d.Classes}
	for k, i := range indices {
		s.Images[k] = d.Images[i]
		s.Labels[k] = d.Labels[i]
	}
	return s
}

// Check reports the first inconsistency: a label count that differs from the image
// count, a label outside the class range, or an image whose pixel count does not
// match its shape.
func (d *Dataset) Check() error {
	if len(d.Labels) != len(d.Images) {
		return fmt.Errorf("data: %d labels for %d images", len(d.Labels), len(d.Images))
	}
	for i, l := range d.Labels {
		if l < 0 || l >= len(d.Classes) {
			return fmt.Errorf("data: label %d of sample %d is outside the %d classes", l, i, len(d.Classes))
		}
	}
	for i, m := range d.Images {
		if m.C <= 0 || m.H <= 0 || m.W <= 0 || len(m.Pix) != m.Len() {
			return fmt.Errorf("data: image %d has shape %d×%d×%d but %d values", i, m.C, m.H, m.W, len(m.Pix))
		}
	}
	return nil
}
