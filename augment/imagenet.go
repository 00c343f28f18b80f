package augment

// ImageNetTrain is the training transform of torchvision's ImageNet recipes for
// size×size inputs: RandomResizedCrop(size) with its default ranges, then a
// horizontal flip with probability 1/2. Normalize the batches with
// data.ImageNetStats when the model was pretrained by torchvision.
func ImageNetTrain(size int) Pipeline {
	return Compose(RandomResizedCrop{Height: size, Width: size}, RandomApply{P: 0.5, T: FlipHorizontal{}})
}

// ImageNetEval is the evaluation transform of torchvision's ImageNet recipes: the
// shorter side resized to ImageNetResizeSize(size) (256 for 224), then the central
// size×size crop.
func ImageNetEval(size int) Pipeline {
	return Compose(ResizeShorter{Size: ImageNetResizeSize(size)}, CenterCrop{Height: size, Width: size})
}

// ImageNetResizeSize is the shorter side to which evaluation resizes before
// cropping size×size: size·256/224 rounded down, keeping torchvision's 256/224
// proportion at every input size.
func ImageNetResizeSize(size int) int { return size * 256 / 224 }
