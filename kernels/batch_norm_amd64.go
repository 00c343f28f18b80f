//go:build amd64 && !noasm

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// Batch-norm row reductions in batch_norm_amd64.s, float32 only (training's type).

//go:noescape
func shiftedSums32(x *float32, n int, shift float64) (sum, sumSq float64)

//go:noescape
func gradientSums32(x, dy *float32, n int, mean float64) (sumDy, sumDyXc float64)

// batchNormAVX512 reports whether the assembly reductions can run.
var batchNormAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasBMI2

// minAsmRow is the shortest row worth a call into assembly: batch norm 1d
// (N×C) has rows of one value, where the Go loop costs less than the call.
const minAsmRow = 16

// shiftedSumsAsm is shiftedSums in assembly; ok is false when it cannot run
// (no AVX-512, float64, a short row).
func shiftedSumsAsm[T Float](x []T, shift float64) (sum, sumSq float64, ok bool) {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return 0, 0, false
	}
	sum, sumSq = shiftedSums32(pointerAs[float32](x), len(x), shift)
	return sum, sumSq, true
}

// gradientSumsAsm is gradientSums in assembly; ok is false when it cannot run
// (no AVX-512, float64, a short row).
func gradientSumsAsm[T Float](x, dy []T, mean float64) (sumDy, sumDyXc float64, ok bool) {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return 0, 0, false
	}
	_ = dy[len(x)-1] // the assembly checks no bounds
	sumDy, sumDyXc = gradientSums32(pointerAs[float32](x), pointerAs[float32](dy), len(x), mean)
	return sumDy, sumDyXc, true
}

//go:noescape
func normalize32(x, y *float32, n int, mean, scale, shift float32)

//go:noescape
func batchNormData32(x, dy, dx *float32, n int, mean, a, slope, offset float32)

// normalizeAsm is normalizeRow in assembly; it returns
// false when it cannot run (no AVX-512, float64, a short row).
func normalizeAsm[T Float](x, y []T, mean, scale, shift T) bool {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return false
	}
	_ = y[len(x)-1] // the assembly checks no bounds
	normalize32(pointerAs[float32](x), pointerAs[float32](y), len(x), float32(mean), float32(scale), float32(shift))
	return true
}

// batchNormDataAsm is the row loop of batchNormDataChannel in assembly; it
// returns false when it cannot run (no AVX-512, float64, a short row).
func batchNormDataAsm[T Float](x, dy, dx []T, mean, a, slope, offset T) bool {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return false
	}
	_, _ = dy[len(x)-1], dx[len(x)-1] // the assembly checks no bounds
	batchNormData32(pointerAs[float32](x), pointerAs[float32](dy), pointerAs[float32](dx), len(x),
		float32(mean), float32(a), float32(slope), float32(offset))
	return true
}

//go:noescape
func gradientSumsRelu32(x, dy *float32, n int, mean64 float64, mean, scale, shift float32) (sumDy, sumDyXc float64)

//go:noescape
func batchNormDataRelu32(x, dy, dx *float32, n int, mean, a, slope, offset, scale, shift float32)

// reluGradientSumsAsm is reluGradientSums in assembly; ok is false when it
// cannot run, exactly when normalizeAsm cannot, so that the mask is always
// computed as the forward pass computed it.
func reluGradientSumsAsm[T Float](x, dy []T, mean, scale, shift T) (sumDy, sumDyXc float64, ok bool) {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return 0, 0, false
	}
	_ = dy[len(x)-1] // the assembly checks no bounds
	sumDy, sumDyXc = gradientSumsRelu32(pointerAs[float32](x), pointerAs[float32](dy), len(x), float64(mean),
		float32(mean), float32(scale), float32(shift))
	return sumDy, sumDyXc, true
}

// reluDataAsm is reluDataRow in assembly; it returns false when it cannot
// run, exactly when normalizeAsm cannot.
func reluDataAsm[T Float](x, dy, dx []T, mean, a, slope, offset, scale, shift T) bool {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return false
	}
	_, _ = dy[len(x)-1], dx[len(x)-1] // the assembly checks no bounds
	batchNormDataRelu32(pointerAs[float32](x), pointerAs[float32](dy), pointerAs[float32](dx), len(x),
		float32(mean), float32(a), float32(slope), float32(offset), float32(scale), float32(shift))
	return true
}

//go:noescape
func normalizeAddRelu32(x, r, y *float32, n int, mean, scale, shift float32, stream bool)

// normalizeAddReluAsm is a row of BatchNormAddReluForward in assembly,
// streaming y (see streamed); it returns false when it cannot run (no
// AVX-512, float64, a short row).
func normalizeAddReluAsm[T Float](x, r, y []T, mean, scale, shift T, stream bool) bool {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return false
	}
	_, _ = r[len(x)-1], y[len(x)-1] // the assembly checks no bounds
	normalizeAddRelu32(pointerAs[float32](x), pointerAs[float32](r), pointerAs[float32](y), len(x),
		float32(mean), float32(scale), float32(shift), stream && aligned64(y))
	return true
}

//go:noescape
func normalize2AddRelu32(x, r, y *float32, n int, mean, scale, shift, meanR, scaleR, shiftR float32, stream bool)

// normalize2AddReluAsm is a row of BatchNormAddBatchNormReluForward in
// assembly, streaming y (see streamed); it returns false when it cannot run
// (no AVX-512, float64, a short row).
func normalize2AddReluAsm[T Float](x, r, y []T, mean, scale, shift, meanR, scaleR, shiftR T, stream bool) bool {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return false
	}
	_, _ = r[len(x)-1], y[len(x)-1] // the assembly checks no bounds
	normalize2AddRelu32(pointerAs[float32](x), pointerAs[float32](r), pointerAs[float32](y), len(x),
		float32(mean), float32(scale), float32(shift), float32(meanR), float32(scaleR), float32(shiftR), stream && aligned64(y))
	return true
}

// normalizeReluAsm is normalizeRow followed by reluRow in one loop in
// assembly (normalizeAddRelu32 with no r), streaming y (see streamed); it
// returns false when it cannot run (no AVX-512, float64, a short row).
func normalizeReluAsm[T Float](x, y []T, mean, scale, shift T, stream bool) bool {
	if !batchNormAVX512 || unsafe.Sizeof(T(0)) != 4 || len(x) < minAsmRow {
		return false
	}
	_ = y[len(x)-1] // the assembly checks no bounds
	normalizeAddRelu32(pointerAs[float32](x), nil, pointerAs[float32](y), len(x), float32(mean), float32(scale), float32(shift), stream && aligned64(y))
	return true
}

// aligned64 reports whether y starts on a 64-byte boundary, as non-temporal
// vector stores need.
func aligned64[T Float](y []T) bool { return uintptr(unsafe.Pointer(&y[0]))%64 == 0 }

// storeFence orders the non-temporal stores of the goroutine's streaming
// kernels before its later stores (the signal that its work is done).
func storeFence()
