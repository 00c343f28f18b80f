package augment

import "testing"

// The values of the photometric operations are pinned by the torchvision cases;
// these tests cover their parameter checks and the images they leave alone.
func TestPhotometricChecks(t *testing.T) {
	for _, bad := range []Transform{
		Posterize{Bits: -1}, Posterize{Bits: 9}, Solarize{Threshold: 255.5},
		Saturation{Factor: -0.1}, Sharpness{Factor: -1}, Saturation{Factor: 1},
	} {
		if _, _, _, err := bad.OutputShape(4, 5, 5); err == nil {
			t.Errorf("%#v accepted for a 4×5×5 image", bad)
		}
	}
	grey := randomImage(1, 6, 7, 3)
	if got := apply(t, Saturation{Factor: 0.3}, grey, nil); !samePixels(got, grey) {
		t.Error("saturation of a grey image is not the image itself")
	}
	thin := randomImage(3, 2, 9, 4)
	if got := apply(t, Sharpness{Factor: 1.7}, thin, nil); !samePixels(got, thin) {
		t.Error("sharpness of a two-row image is not the image itself")
	}
	src := randomImage(3, 9, 8, 5)
	sameImage(t, "8-bit posterize", apply(t, Posterize{Bits: 8}, src, nil), src)
	sameImage(t, "factor-1 sharpness", apply(t, Sharpness{Factor: 1}, src, nil), src)
	sameImage(t, "factor-1 saturation", apply(t, Saturation{Factor: 1}, src, nil), src)
	sameImage(t, "double inversion", apply(t, Invert{}, apply(t, Invert{}, src, nil), nil), src)
}
