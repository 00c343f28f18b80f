package augment

import (
	"math"
	"testing"
)

func TestAffineSpecialCases(t *testing.T) {
	src := randomImage(3, 13, 18, 21)
	sameImage(t, "identity", apply(t, Affine{}, src, nil), src)
	for _, interp := range []Interpolation{Nearest, Bilinear} {
		// Whole-pixel translations sample pixel centres exactly: a window.
		got := apply(t, Affine{TranslateX: 4, TranslateY: -3, Interpolation: interp}, src, nil)
		sameImage(t, interp.String()+" translation", got, apply(t, Translate{DX: 4, DY: -3}, src, nil))
		// Rotate is Affine by the opposite angle.
		rot := apply(t, Rotate{Degrees: 33, Interpolation: interp, Fill: 5}, src, nil)
		sameImage(t, interp.String()+" rotation", apply(t, Affine{Angle: -33, Interpolation: interp, Fill: 5}, src, nil), rot)
	}
	// A shear about the centre of pixel (0, 0) keeps row 0 and samples row y y·tan(shear) pixels to the right.
	shear := apply(t, Affine{ShearX: math.Atan(1) * 180 / math.Pi, Center: &[2]float64{0.5, 0.5}}, src, nil)
	sameImage(t, "shear", shear, naive(3, 13, 18, func(c, y, x int) uint8 { return at(src, c, y, x+y, 0) }))
	for _, bad := range []Affine{{Scale: -1}, {Angle: math.NaN()}, {ShearY: 90}, {ShearX: -270}, {TranslateX: math.Inf(1)}, {Interpolation: 7}} {
		if _, _, _, err := bad.OutputShape(3, 13, 18); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
