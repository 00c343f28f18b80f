//go:build !amd64 || noasm

package kernels

// sgemmArchs and dgemmArchs list the kernel families: only the portable ones in
// this build.
func sgemmArchs() []*gemmArch[float32] { return []*gemmArch[float32]{sgemmGo} }

func dgemmArchs() []*gemmArch[float64] { return []*gemmArch[float64]{dgemmGo} }

// sgemmArch and dgemmArch run every float32 and float64 Gemm.
var (
	sgemmArch = sgemmGo
	dgemmArch = dgemmGo
)
