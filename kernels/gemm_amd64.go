//go:build amd64 && !noasm

package kernels

import "golang.org/x/sys/cpu"

// Micro-kernels and packers in gemm_amd64.s; see microKernel and gemmArch for
// their contracts.

//go:noescape
func sgemmKernelAVX512x48(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)

//go:noescape
func sgemmKernelAVX512x32(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)

//go:noescape
func sgemmKernelAVX512x16(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)

//go:noescape
func sgemmKernelAVX2x16(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)

//go:noescape
func dgemmKernelAVX512x24(kc int, a *float64, rsA int, csA int, b *float64, c *float64, ldc int, alpha float64, beta float64)

//go:noescape
func sgemmTransposeAVX512(kc int, src *float32, ld int, dst *float32, ldDst int)

//go:noescape
func sgemmPackTransAAVX512(kc int, src *float32, ld int, dst *float32)

//go:noescape
func sgemmCopyAVX512(rows int, vecs int, src *float32, ld int, dst *float32, ldDst int)

var (
	// sgemmAVX512 tiles C in 8×48 blocks (24 zmm accumulators); the last panels
	// of a block use the 32- and 16-wide variants instead of padding to 48. Its B
	// blocks (1 MiB) take half of a Sapphire Rapids core's L2: wide blocks pack
	// each A micro-panel (packTransA) for more tiles, and read A fewer times.
	sgemmAVX512 = &gemmArch[float32]{name: "avx512", mr: 8, step: 16,
		kernels: []microKernel[float32]{sgemmKernelAVX512x16, sgemmKernelAVX512x32, sgemmKernelAVX512x48},
		kc:      256, nc: 1024, copy16: sgemmCopyAVX512, transpose16: sgemmTransposeAVX512,
		packTransA: sgemmPackTransAAVX512}
	// sgemmAVX2 tiles C in 6×16 blocks (12 ymm accumulators).
	sgemmAVX2 = &gemmArch[float32]{name: "avx2", mr: 6, step: 16,
		kernels: []microKernel[float32]{sgemmKernelAVX2x16},
		kc:      256, nc: 384}
	// dgemmAVX512 tiles C in 8×24 blocks, ragged panels padded to 24.
	dgemmAVX512 = &gemmArch[float64]{name: "avx512", mr: 8, step: 24,
		kernels: []microKernel[float64]{dgemmKernelAVX512x24},
		kc:      256, nc: 192}
)

// sgemmArchs lists the float32 kernel families this CPU can run, fastest first.
func sgemmArchs() []*gemmArch[float32] {
	var archs []*gemmArch[float32]
	if cpu.X86.HasAVX512F {
		archs = append(archs, sgemmAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		archs = append(archs, sgemmAVX2)
	}
	return append(archs, sgemmGo)
}

// dgemmArchs lists the float64 kernel families this CPU can run, fastest first.
func dgemmArchs() []*gemmArch[float64] {
	if cpu.X86.HasAVX512F {
		return []*gemmArch[float64]{dgemmAVX512, dgemmGo}
	}
	return []*gemmArch[float64]{dgemmGo}
}

// sgemmArch and dgemmArch run every float32 and float64 Gemm.
var (
	sgemmArch = sgemmArchs()[0]
	dgemmArch = dgemmArchs()[0]
)
