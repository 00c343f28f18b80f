// Command standins builds the CUDA test doubles (libcuda.so.1 and
// libcublas.so.12, see package cudaemu's BuildStandIns) for the `gpu` binaries
// given as arguments, so that they run on a machine without a GPU:
//
//	eval "$(bash scripts/fetch-cuda-headers.sh)"
//	go run ./kernels/cudaemu/standins -o DIR BINARY...
//	LD_LIBRARY_PATH=DIR DESCENT_CUBLAS=DIR/libcublas.so.12 BINARY
//
// Run it from the repository's root. cuda.h is found through CGO_CFLAGS.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	cudaemu "github.com/descent-ml/descent/kernels/cudaemu"
)

func main() {
	out := flag.String("o", "", "the `directory` to write the libraries into")
	kernels := flag.String("kernels", "kernels", "the `directory` of the .cu sources")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "standins: -o is required")
		os.Exit(2)
	}
	if err := cudaemu.BuildStandIns(*kernels, *out, strings.Fields(os.Getenv("CGO_CFLAGS")), flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "standins:", err)
		os.Exit(1)
	}
}
