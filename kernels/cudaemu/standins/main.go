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
