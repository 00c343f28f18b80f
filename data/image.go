package data

// Image is one uint8 image in CHW layout: the value of channel c at row y, column x
// is Pix[(c*H+y)*W+x].
type Image struct {
	C, H, W int
	Pix     []uint8
}

// NewImage allocates a zeroed c×h×w image.
func NewImage(c, h, w int) Image {
	return Image{C: c, H: h, W: w, Pix: make([]uint8, c*h*w)}
}

// Len is the number of values, C·H·W.
func (m Image) Len() int { return m.C * m.H * m.W }

// Plane returns channel c as an H·W row-major slice sharing m's memory.
func (m Image) Plane(c int) []uint8 {
	n := m.H * m.W
	return m.Pix[c*n : (c+1)*n]
}
