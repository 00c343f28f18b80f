package augment

import "github.com/descent-ml/descent/data"

// window writes the h×w window of src whose top-left corner is (top, left) into
// dst; window pixels outside src take fill. Crops, pad-crops and translations are
// all windows.
func window(dst *data.Image, src data.Image, top, left, h, w int, fill uint8) data.Image {
	out := shape(dst, src.C, h, w)
	// Columns [x0, x1) of each window row lie inside src.
	x0 := min(max(0, -left), w)
	x1 := max(x0, min(w, src.W-left))
	for c := range src.C {
		for y := range h {
			row := out.Pix[(c*h+y)*w : (c*h+y+1)*w]
			sy := top + y
			if sy < 0 || sy >= src.H || x0 == x1 {
				fillBytes(row, fill)
				continue
			}
			fillBytes(row[:x0], fill)
			from := (c*src.H+sy)*src.W + left
			copy(row[x0:x1], src.Pix[from+x0:from+x1])
			fillBytes(row[x1:], fill)
		}
	}
	return out
}

func fillBytes(b []uint8, v uint8) {
	for i := range b {
		b[i] = v
	}
}
