// Package golden loads the PyTorch reference vectors in testdata/golden (see its
// FORMAT.md) for the tests of every package. Setting DESCENT_GOLDEN_DIR replaces
// the folder; every *.json of a kind is loaded, whatever its name.
package golden
