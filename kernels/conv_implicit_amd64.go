//go:build amd64 && !noasm

package kernels

// Implicit-GEMM micro-kernels in conv_implicit_amd64.s; see convMicroKernel.

//go:noescape
func sconvKernelAVX512x48(kc int, a *float32, rsA int, offsets *int32, b *float32, c *float32, ldc int, beta float32)

//go:noescape
func sconvKernelAVX512x32(kc int, a *float32, rsA int, offsets *int32, b *float32, c *float32, ldc int, beta float32)

//go:noescape
func sconvKernelAVX512x16(kc int, a *float32, rsA int, offsets *int32, b *float32, c *float32, ldc int, beta float32)

var sconvKernelsAVX512 = []convMicroKernel[float32]{sconvKernelAVX512x16, sconvKernelAVX512x32, sconvKernelAVX512x48}

// implicitKernels returns the micro-kernels that read B in place for the
// tiles of arch (kernels[i] is (i+1)·arch.step wide), or nil when arch has
// none and B is packed.
func implicitKernels[E float32 | float64](arch *gemmArch[E]) []convMicroKernel[E] {
	if a, ok := any(arch).(*gemmArch[float32]); ok && a == sgemmAVX512 {
		return any(sconvKernelsAVX512).([]convMicroKernel[E])
	}
	return nil
}
