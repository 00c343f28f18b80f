// Package augment prepares training batches: image transforms on uint8 CHW images
// (package data's Image), their random composition, and a parallel batch loader
// that turns a data.Dataset into float32 NCHW batches.
//
// # Imports
//
// augment imports data (Image, Dataset, Normalizer); data imports neither augment nor
// graph, and augment does not import graph: the command line wires them together.
//
// # Transforms
//
// A Transform checks its parameters against an input shape (OutputShape) and
// transforms one image (Apply), writing into a reusable destination image and never
// modifying its input. Fixed-parameter transforms and their random counterparts,
// which draw the parameters and delegate:
//
//	FlipHorizontal, FlipVertical         (random: RandomApply{P, flip})
//	Translate{DX, DY, Fill}              RandomTranslate{MaxX, MaxY, Fill}
//	Rotate{Degrees, Interpolation, Fill} RandomRotate{MaxDegrees, Interpolation, Fill}
//	Affine{Angle, Translate…, Scale, Shear…, Center, Interpolation, Fill}
//	PadCrop{Padding, Top, Left, ...}     RandomCrop{Height, Width, Padding, Fill}
//	CenterCrop{Height, Width}
//	Resize{Height, Width}, ResizeShorter{Size}
//	ResizedCrop{Top, Left, Height, Width, …} RandomResizedCrop{Height, Width, Scale, Ratio}
//	Erase{Top, Left, Height, Width}      Cutout{Size}, RandomErasing{Scale, Ratio}
//	Brightness{Factor}, Contrast{Factor} ColorJitter{Brightness, Contrast}
//	Saturation{Factor}, Sharpness{Factor}, Posterize{Bits}, Solarize{Threshold},
//	AutoContrast, Equalize, Invert       RandAugment{N, M}, TrivialAugmentWide{}
//
// RandAugment and TrivialAugmentWide draw from torchvision's fourteen operations
// (identity, shear x/y, translate x/y, rotate, brightness, colour, contrast,
// sharpness, posterize, solarize, autocontrast, equalize) with its magnitude
// tables, reproduced to the float32 bit (testdata/augmentation_spaces.json).
//
// Compose chains transforms into a Pipeline (itself a Transform); RandomApply
// applies a shape-keeping transform with probability P. Normalization to float32
// (fixed statistics such as data.ImageNetStats, or a dataset's own) is the last
// step of every batch, done by a data.Normalizer. ImageNetTrain and ImageNetEval
// are torchvision's ImageNet recipes (random resized crop and flip; shorter side
// to S·256/224 and central crop), to be normalized with data.ImageNetStats.
//
// Geometry and rounding follow torchvision 0.14 on uint8 tensors, step for step
// where it matters: Affine and Rotate compute torchvision's float32 sampling grid
// (matching it exactly on 1200 random rotations, nearest and bilinear, and on every
// generated affine case); Resize is PyTorch's antialiased bilinear kernel; the
// photometric operations blend, round and truncate in float32 as torchvision does.
// testdata/golden/augment (the project's PyTorch cases) and testdata/torchvision
// (this package's, written by testdata/gen_torchvision.py) pin this down.
//
// ParseSpec reads the command line's -augment syntax (SpecNames lists its
// items: hflip, translate=PIXELS, randaugment=N,M, …, each with an optional
// @P probability) into a Transform, checking every value against the image
// size.
//
// # Randomness
//
// Random parameters come from the Context a transform receives. The Loader seeds it
// per sample from (run seed, epoch, sample index) alone, so a sample is augmented
// the same way whichever worker prepares it, whatever the number of workers, the
// batch size or the prefetch depth; the shuffle order is drawn from (seed, epoch).
// Generators are PCG from math/rand/v2, whose output the Go project keeps stable.
//
// # Mixing batches
//
// Mix is timm's batch-level mixup and cutmix: Draw picks a batch's λ (and
// cutmix box) from a stream of (seed, epoch, batch index) alone, so a resumed
// run mixes the same; Apply blends each sample with its partner in the
// reversed batch, in place, and writes soft targets for the loss
// (graph.CrossEntropy with N×classes targets). Beta draws come from gonum's
// distuv.Beta over the PCG stream.
//
// # Loader
//
// Loader.Epoch yields the batches of an epoch in order (a range-over-func
// iterator). Worker goroutines prepare the next Prefetch batches while the current
// one is in use; each batch is cut into chunks of 16 samples so that even one large
// batch keeps every worker busy. Batch buffers (Prefetch+1 of them) and per-worker
// scratch images are allocated once and reused; transforms reuse their destination
// memory, so the steady state allocates nothing per pixel or per sample.
//
// The Loader reads any data.Source: an in-memory data.Dataset, or a data.Stream
// whose images the workers decode on demand, so that memory is bounded by the
// prefetch depth and not by the dataset. A stream's image that cannot be read
// ends the epoch (Loader.Err names the file) or, with Config.SkipBadImages, is
// left out of its batch, logged once and counted in Batch.Skipped; an image the
// transform cannot bring to the batch's shape always ends the epoch.
// ImageNetTrainLoader is the loader of torchvision's ImageNet training recipe.
//
// MeasureLoader and WritePhotoFolder (JPEGs that compress like photographs)
// serve the loader's throughput measurement (train bench -loader) and tests.
package augment
