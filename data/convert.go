package data

import (
	"fmt"
	"image"
	"image/color"
)

// ToImage converts a decoded image to channels (1 or 3) planes of 8 bits as
// Pillow's Image.convert("L") or convert("RGB") does after Image.open, which
// is what torchvision's image loaders call:
//
//   - alpha is dropped, never composited (RGBA, grey with alpha, palettes with
//     transparency);
//   - 16-bit colour keeps the high byte of each sample (Pillow opens such PNGs
//     and TIFFs as 8-bit RGB/RGBA), while 16-bit grey is clipped to 0…255, as
//     Pillow's "I" and "I;16" modes convert;
//   - palettes are looked up; CMYK becomes (255−k)·(255−c)/255 per channel;
//   - grey from colour is Pillow's L = (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16.
//
// dst's memory is reused when large enough.
func ToImage(src image.Image, channels int, dst *Image) (Image, error) {
	if channels != 1 && channels != 3 {
		return Image{}, fmt.Errorf("data: %d channels: images convert to 1 (grey) or 3 (RGB)", channels)
	}
	b := src.Bounds()
	h, w := b.Dy(), b.Dx()
	m := reshape(dst, channels, h, w)
	n := h * w
	put := func(i int, r, g, bl uint8) {
		if channels == 1 {
			m.Pix[i] = uint8((uint32(r)*19595 + uint32(g)*38470 + uint32(bl)*7471 + 1<<15) >> 16)
			return
		}
		m.Pix[i], m.Pix[n+i], m.Pix[2*n+i] = r, g, bl
	}
	putGray := func(i int, v uint8) {
		if channels == 1 {
			m.Pix[i] = v
			return
		}
		m.Pix[i], m.Pix[n+i], m.Pix[2*n+i] = v, v, v
	}
	// putInterleaved copies R, G, B, A samples of sampleBytes bytes each,
	// keeping each sample's high byte (the first, big-endian).
	putInterleaved := func(pix []uint8, stride, sampleBytes int) {
		px := 4 * sampleBytes
		for y := range h {
			row := pix[y*stride : y*stride+px*w]
			for x := range w {
				put(y*w+x, row[px*x], row[px*x+sampleBytes], row[px*x+2*sampleBytes])
			}
		}
	}
	switch s := src.(type) {
	case *image.YCbCr:
		if hd, vd, ok := chromaDivisors(s.SubsampleRatio); ok && channels == 3 {
			ycbcrToRGBPlanes(m, s, hd, vd)
			break
		}
		for y := range h {
			yRow := s.YOffset(b.Min.X, b.Min.Y+y)
			for x := range w {
				ci := s.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := color.YCbCrToRGB(s.Y[yRow+x], s.Cb[ci], s.Cr[ci])
				put(y*w+x, r, g, bl)
			}
		}
	case *image.Gray:
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			for x, v := range row {
				putGray(y*w+x, v)
			}
		}
	case *image.Gray16:
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+2*w]
			for x := range w {
				v := uint16(row[2*x])<<8 | uint16(row[2*x+1])
				putGray(y*w+x, uint8(min(v, 255)))
			}
		}
	case *image.NRGBA:
		putInterleaved(s.Pix, s.Stride, 1)
	case *image.RGBA:
		putInterleaved(s.Pix, s.Stride, 1)
	case *image.NRGBA64:
		putInterleaved(s.Pix, s.Stride, 2)
	case *image.RGBA64:
		putInterleaved(s.Pix, s.Stride, 2)
	case *image.CMYK:
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+4*w]
			for x := range w {
				k := 255 - uint32(row[4*x+3])
				ch := func(c uint8) uint8 { return uint8(k - mulDiv255(uint32(c), k)) }
				put(y*w+x, ch(row[4*x]), ch(row[4*x+1]), ch(row[4*x+2]))
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range s.Palette {
			lut[i] = paletteRGB(c)
		}
		for y := range h {
			row := s.Pix[y*s.Stride : y*s.Stride+w]
			for x, v := range row {
				e := lut[v]
				put(y*w+x, e[0], e[1], e[2])
			}
		}
	default: // other decoders' types: their non-premultiplied 8-bit colour
		for y := range h {
			for x := range w {
				c := color.NRGBAModel.Convert(src.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA)
				put(y*w+x, c.R, c.G, c.B)
			}
		}
	}
	return m, nil
}

// paletteRGB is a palette entry's colour without its alpha: Pillow's "P" to
// "RGB" ignores transparency.
func paletteRGB(c color.Color) [3]uint8 {
	switch p := c.(type) {
	case color.NRGBA:
		return [3]uint8{p.R, p.G, p.B}
	case color.RGBA:
		if p.A == 255 || p.A == 0 {
			return [3]uint8{p.R, p.G, p.B}
		}
	}
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return [3]uint8{n.R, n.G, n.B}
}

// mulDiv255 is Pillow's MULDIV255: a·b/255 rounded as its C macro does.
func mulDiv255(a, b uint32) uint32 {
	t := a*b + 128
	return (t + t>>8) >> 8
}

// reshape sets dst to c×h×w, reusing its memory when large enough.
func reshape(dst *Image, c, h, w int) Image {
	n := c * h * w
	if cap(dst.Pix) < n {
		dst.Pix = make([]uint8, n)
	}
	dst.C, dst.H, dst.W, dst.Pix = c, h, w, dst.Pix[:n]
	return *dst
}

// chromaDivisors are how many luma columns and rows share one chroma sample.
func chromaDivisors(r image.YCbCrSubsampleRatio) (hd, vd int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// ycbcrToRGBPlanes is the YCbCr case of ToImage for RGB output, the one every
// colour JPEG takes: color.YCbCrToRGB's integer arithmetic, bit for bit, with
// the chroma rows looked up once per row instead of once per pixel.
func ycbcrToRGBPlanes(m Image, s *image.YCbCr, hd, vd int) {
	b := s.Rect
	n := m.H * m.W
	rp, gp, bp := m.Pix[:n], m.Pix[n:2*n], m.Pix[2*n:]
	clamp := func(v int32) uint8 {
		if uint32(v)&0xff000000 == 0 {
			return uint8(v >> 16)
		}
		return uint8(^(v >> 31))
	}
	for y := range m.H {
		ay := b.Min.Y + y
		yRow := s.Y[(ay-b.Min.Y)*s.YStride : (ay-b.Min.Y)*s.YStride+m.W]
		cRow := (ay/vd - b.Min.Y/vd) * s.CStride
		out := y * m.W
		for x, lum := range yRow {
			ci := cRow + (b.Min.X+x)/hd - b.Min.X/hd
			yy := int32(lum) * 0x10101
			cb := int32(s.Cb[ci]) - 128
			cr := int32(s.Cr[ci]) - 128
			rp[out+x] = clamp(yy + 91881*cr)
			gp[out+x] = clamp(yy - 22554*cb - 46802*cr)
			bp[out+x] = clamp(yy + 116130*cb)
		}
	}
}
