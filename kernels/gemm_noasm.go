//go:build !amd64 || noasm

package kernels

// sgemmArchs lists the float32 kernel families: only the portable one in this build.
func sgemmArchs() []*gemmArch[float32] { return []*gemmArch[float32]{sgemmGo} }

// sgemmArch runs every float32 Gemm.
var sgemmArch = sgemmGo
