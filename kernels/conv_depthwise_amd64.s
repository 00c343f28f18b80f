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
