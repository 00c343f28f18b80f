//go:build amd64 && !noasm

#include "textflag.h"

// func deepIm2colRowsAVX512(dst *float32, dstImage int, dstRow int, src *float32, srcOff int, srcImage int, srcRow int, images int, rows int, lo int, hi int, loadMask int, storeMask int, perm *int32)
//
// One tap's rows of the column matrix for one channel of images images: for
// g < images and i < rows, the lanes of storeMask of the row at
// dst + g·dstImage + i·dstRow get, for lo ≤ i < hi, the lanes of
// src + srcOff + g·srcImage + i·srcRow read under loadMask (others zero) and
// permuted by perm (the output's stride), and zeros for the other rows (the
// padding). Offsets and strides are in elements; masked lanes are not read.
TEXT ·deepIm2colRowsAVX512(SB), NOSPLIT, $0-112
	MOVQ dst+0(FP), DI
	MOVQ dstImage+8(FP), R8
	SHLQ $2, R8
	MOVQ dstRow+16(FP), R9
	SHLQ $2, R9
	MOVQ src+24(FP), SI
	MOVQ srcOff+32(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ srcImage+40(FP), R10
	SHLQ $2, R10
	MOVQ srcRow+48(FP), R11
	SHLQ $2, R11
	MOVQ images+56(FP), CX
	MOVQ rows+64(FP), DX
	MOVQ lo+72(FP), R12
	MOVQ hi+80(FP), R13
	MOVQ loadMask+88(FP), AX
	KMOVW AX, K1
	MOVQ storeMask+96(FP), AX
	KMOVW AX, K2
	MOVQ perm+104(FP), AX
	VMOVDQU32 (AX), Z31
	VPXORD Z30, Z30, Z30
	TESTQ CX, CX
	JZ    im2colDone

im2colImage:
	MOVQ DI, AX
	MOVQ SI, BX
	XORQ R14, R14

im2colRow:
	CMPQ R14, DX
	JGE  im2colNextImage
	CMPQ R14, R12
	JLT  im2colPad
	CMPQ R14, R13
	JGE  im2colPad
	VMOVUPS.Z (BX), K1, Z0
	VPERMPS   Z0, Z31, Z0
	VMOVUPS   Z0, K2, (AX)
	JMP       im2colStep

im2colPad:
	VMOVUPS Z30, K2, (AX)

im2colStep:
	ADDQ R9, AX
	ADDQ R11, BX
	INCQ R14
	JMP  im2colRow

im2colNextImage:
	ADDQ R8, DI
	ADDQ R10, SI
	DECQ CX
	JNZ  im2colImage

im2colDone:
	VZEROUPPER
	RET

// Offsets in deepTapRow.
#define TAP_COL 0
#define TAP_MASK 8
#define TAP_PERM 16
#define TAP_SIZE 80

// func deepCol2imPlaneAVX512(dx *float32, h int, w int, dcol *float32, ow int, rowTaps *int, taps *deepTapRow)
//
// Overwrites the h×w plane dx row by row: row i is the sum, in order, of its
// rowTaps[i] taps' output rows (the next entries of taps), each ow elements
// from dcol + tap.col, permuted by tap.perm and added under tap.mask. The sum
// stays in a register: adds to the plane in memory would wait for each other's
// masked stores, which loads cannot take their data from.
TEXT ·deepCol2imPlaneAVX512(SB), NOSPLIT, $0-56
	MOVQ  dx+0(FP), DI
	MOVQ  h+8(FP), CX
	MOVQ  w+16(FP), R8
	MOVL  $1, AX
	SHLXL R8, AX, AX
	DECL  AX
	KMOVW AX, K2
	SHLQ  $2, R8
	MOVQ  dcol+24(FP), R11
	MOVQ  ow+32(FP), R9
	MOVL  $1, AX
	SHLXL R9, AX, AX
	DECL  AX
	KMOVW AX, K1
	MOVQ  rowTaps+40(FP), R10
	MOVQ  taps+48(FP), R12

col2imRow:
	VPXORD Z1, Z1, Z1
	MOVQ   (R10), R13
	TESTQ  R13, R13
	JZ     col2imStore

col2imTap:
	MOVQ      TAP_COL(R12), SI
	MOVQ      TAP_MASK(R12), AX
	KMOVW     AX, K3
	VMOVDQU32 TAP_PERM(R12), Z31
	VMOVUPS.Z (R11)(SI*4), K1, Z0
	VPERMPS   Z0, Z31, Z0
	VADDPS    Z0, Z1, K3, Z1
	ADDQ      $TAP_SIZE, R12
	DECQ      R13
	JNZ       col2imTap

col2imStore:
	VMOVUPS Z1, K2, (DI)
	ADDQ    R8, DI
	ADDQ    $8, R10
	DECQ    CX
	JNZ     col2imRow
	VZEROUPPER
	RET
