//go:build amd64 && !noasm

#include "textflag.h"

// One plane of a depthwise convolution in float32 with AVX-512, as the Go
// loops of conv_depthwise.go compute it. For each output row, each 16-lane
// vector of it starts from the bias and adds, tap row after tap row and tap
// after tap, the product of the tap with 16 source elements; lanes a tap does
// not reach are masked off the add, so the sums are the Go loops' own, and
// masked loads never touch memory outside the source. Tables built in Go say
// where each tap row starts (rows) and, per vector and tap, where the source
// elements lie and which lanes count (cols, see depthwiseLanes). The source
// elements are contiguous (mode 0), the even elements of 32 (mode 1: stride
// 2), or 8 elements each repeated twice (mode 2: the data gradient of a
// stride 2).

// Lane indices of the even elements of two vectors, and of each of eight
// elements twice.
DATA depthwiseEvens<>+0(SB)/4, $0
DATA depthwiseEvens<>+4(SB)/4, $2
DATA depthwiseEvens<>+8(SB)/4, $4
DATA depthwiseEvens<>+12(SB)/4, $6
DATA depthwiseEvens<>+16(SB)/4, $8
DATA depthwiseEvens<>+20(SB)/4, $10
DATA depthwiseEvens<>+24(SB)/4, $12
DATA depthwiseEvens<>+28(SB)/4, $14
DATA depthwiseEvens<>+32(SB)/4, $16
DATA depthwiseEvens<>+36(SB)/4, $18
DATA depthwiseEvens<>+40(SB)/4, $20
DATA depthwiseEvens<>+44(SB)/4, $22
DATA depthwiseEvens<>+48(SB)/4, $24
DATA depthwiseEvens<>+52(SB)/4, $26
DATA depthwiseEvens<>+56(SB)/4, $28
DATA depthwiseEvens<>+60(SB)/4, $30
GLOBL depthwiseEvens<>(SB), RODATA, $64

DATA depthwiseTwice<>+0(SB)/4, $0
DATA depthwiseTwice<>+4(SB)/4, $0
DATA depthwiseTwice<>+8(SB)/4, $1
DATA depthwiseTwice<>+12(SB)/4, $1
DATA depthwiseTwice<>+16(SB)/4, $2
DATA depthwiseTwice<>+20(SB)/4, $2
DATA depthwiseTwice<>+24(SB)/4, $3
DATA depthwiseTwice<>+28(SB)/4, $3
DATA depthwiseTwice<>+32(SB)/4, $4
DATA depthwiseTwice<>+36(SB)/4, $4
DATA depthwiseTwice<>+40(SB)/4, $5
DATA depthwiseTwice<>+44(SB)/4, $5
DATA depthwiseTwice<>+48(SB)/4, $6
DATA depthwiseTwice<>+52(SB)/4, $6
DATA depthwiseTwice<>+56(SB)/4, $7
DATA depthwiseTwice<>+60(SB)/4, $7
GLOBL depthwiseTwice<>(SB), RODATA, $64

// func depthwisePlane32(src *float32, rows *int, taps *float32, dst *float32, outRows, outRowBytes, tapRows, tapCols int, bias float32, cols *depthwiseLanes, vectors, mode int)
//
// rows holds tapRows byte offsets from src per output row (−1: the tap row
// lies outside); taps holds tapRows·tapCols taps; cols holds, per vector, its
// byte offset in the output row and store mask, then one entry per tap column.
TEXT ·depthwisePlane32(SB), NOSPLIT, $0-96
	VMOVUPS depthwiseEvens<>(SB), Z28
	VMOVUPS depthwiseTwice<>(SB), Z27
	VBROADCASTSS bias+64(FP), Z29
	MOVQ dst+24(FP), DI
	MOVQ rows+8(FP), R9
	MOVQ outRows+32(FP), R8

rowLoop:
	MOVQ cols+72(FP), R10
	MOVQ vectors+80(FP), R11

vectorLoop:
	VMOVAPS Z29, Z0
	MOVQ R9, R12
	MOVQ tapRows+48(FP), R13
	MOVQ taps+16(FP), BX

tapRowLoop:
	MOVQ (R12), SI
	TESTQ SI, SI
	JS   nextTapRow
	ADDQ src+0(FP), SI
	LEAQ 16(R10), DX
	XORQ CX, CX
	MOVQ mode+88(FP), AX
	CMPQ AX, $1
	JEQ  evensLoop
	JGT  twiceLoop

contiguousLoop:
	VBROADCASTSS (BX)(CX*4), Z1
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	VMULPS.Z (SI)(AX*1), Z1, K1, Z2
	VADDPS Z2, Z0, K1, Z0
	ADDQ $16, DX
	INCQ CX
	CMPQ CX, tapCols+56(FP)
	JLT  contiguousLoop
	JMP  nextTapRow

evensLoop:
	VBROADCASTSS (BX)(CX*4), Z1
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	KMOVW 10(DX), K2
	KMOVW 12(DX), K3
	VMOVUPS.Z (SI)(AX*1), K2, Z2
	VMOVUPS.Z 64(SI)(AX*1), K3, Z3
	VPERMT2PS Z3, Z28, Z2
	VMULPS Z1, Z2, Z2
	VADDPS Z2, Z0, K1, Z0
	ADDQ $16, DX
	INCQ CX
	CMPQ CX, tapCols+56(FP)
	JLT  evensLoop
	JMP  nextTapRow

twiceLoop:
	VBROADCASTSS (BX)(CX*4), Z1
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	KMOVW 10(DX), K2
	VMOVUPS.Z (SI)(AX*1), K2, Z2
	VPERMPS Z2, Z27, Z2
	VMULPS Z1, Z2, Z2
	VADDPS Z2, Z0, K1, Z0
	ADDQ $16, DX
	INCQ CX
	CMPQ CX, tapCols+56(FP)
	JLT  twiceLoop

nextTapRow:
	MOVQ tapCols+56(FP), AX
	LEAQ (BX)(AX*4), BX
	ADDQ $8, R12
	DECQ R13
	JNZ  tapRowLoop

	MOVQ (R10), AX
	KMOVW 8(R10), K1
	VMOVUPS Z0, K1, (DI)(AX*1)
	MOVQ tapCols+56(FP), AX
	INCQ AX
	SHLQ $4, AX
	ADDQ AX, R10
	DECQ R11
	JNZ  vectorLoop

	ADDQ outRowBytes+40(FP), DI
	MOVQ tapRows+48(FP), AX
	LEAQ (R9)(AX*8), R9
	DECQ R8
	JNZ  rowLoop
	VZEROUPPER
	RET

// func depthwiseFilterPlane32(src *float32, rows *int, dy *float32, outRows, outRowBytes, tapRows, tapCols int, cols *depthwiseLanes, vectors, vectorBytes, mode int, sums *float64)
//
// The filter gradient's share of one plane: with the forward's tables, each
// tap t adds dy·x in float64 to sums[16t + lane] for the output lanes it
// reaches, output row after output row and vector after vector. The products
// of two float32 are exact in float64, so the fused multiply-add rounds as the
// Go loop's multiply and add do; the lanes a tap does not reach load dy = x =
// 0 and add +0, which changes no sum (sums start at +0 and never become −0).
TEXT ·depthwiseFilterPlane32(SB), NOSPLIT, $0-96
	VMOVUPS depthwiseEvens<>(SB), Z28
	MOVQ sums+88(FP), BX
	XORQ R12, R12

filterTapRowLoop:
	XORQ R11, R11

filterTapLoop:
	VMOVUPD (BX), Z0
	VMOVUPD 64(BX), Z1
	LEAQ 1(R11), R10
	SHLQ $4, R10
	MOVQ rows+8(FP), R9
	LEAQ (R9)(R12*8), R9
	MOVQ dy+16(FP), DI
	MOVQ outRows+24(FP), R8

filterRowLoop:
	MOVQ (R9), SI
	TESTQ SI, SI
	JS   filterNextRow
	ADDQ src+0(FP), SI
	MOVQ cols+56(FP), DX
	MOVQ vectors+64(FP), CX
	CMPQ mode+80(FP), $0
	JNE  filterEvensLoop

filterContiguousLoop:
	MOVQ (DX), AX
	MOVQ (DX)(R10*1), R13
	KMOVW 8(DX)(R10*1), K1
	VMOVUPS.Z (DI)(AX*1), K1, Z2
	VMOVUPS.Z (SI)(R13*1), K1, Z3
	VCVTPS2PD Y2, Z5
	VEXTRACTF64X4 $1, Z2, Y6
	VCVTPS2PD Y6, Z6
	VCVTPS2PD Y3, Z7
	VEXTRACTF64X4 $1, Z3, Y8
	VCVTPS2PD Y8, Z8
	VFMADD231PD Z7, Z5, Z0
	VFMADD231PD Z8, Z6, Z1
	ADDQ vectorBytes+72(FP), DX
	DECQ CX
	JNZ  filterContiguousLoop
	JMP  filterNextRow

filterEvensLoop:
	MOVQ (DX), AX
	MOVQ (DX)(R10*1), R13
	KMOVW 8(DX)(R10*1), K1
	KMOVW 10(DX)(R10*1), K3
	KMOVW 12(DX)(R10*1), K4
	VMOVUPS.Z (DI)(AX*1), K1, Z2
	VMOVUPS.Z (SI)(R13*1), K3, Z3
	VMOVUPS.Z 64(SI)(R13*1), K4, Z4
	VPERMT2PS Z4, Z28, Z3
	VCVTPS2PD Y2, Z5
	VEXTRACTF64X4 $1, Z2, Y6
	VCVTPS2PD Y6, Z6
	VCVTPS2PD Y3, Z7
	VEXTRACTF64X4 $1, Z3, Y8
	VCVTPS2PD Y8, Z8
	VFMADD231PD Z7, Z5, Z0
	VFMADD231PD Z8, Z6, Z1
	ADDQ vectorBytes+72(FP), DX
	DECQ CX
	JNZ  filterEvensLoop

filterNextRow:
	ADDQ outRowBytes+32(FP), DI
	MOVQ tapRows+40(FP), AX
	LEAQ (R9)(AX*8), R9
	DECQ R8
	JNZ  filterRowLoop

	VMOVUPD Z0, (BX)
	VMOVUPD Z1, 64(BX)
	ADDQ $128, BX
	INCQ R11
	CMPQ R11, tapCols+48(FP)
	JLT  filterTapLoop
	INCQ R12
	CMPQ R12, tapRows+40(FP)
	JLT  filterTapRowLoop
	VZEROUPPER
	RET
