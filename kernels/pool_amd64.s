//go:build amd64 && !noasm

#include "textflag.h"

// 2×2 max pooling with stride 2 and no padding over one float32 plane with
// AVX-512, 16 outputs (32 input columns of two rows) per step. Both kernels
// return false, having written part of the plane, as soon as a window holds a
// NaN: the Go loops then redo the plane with PyTorch's NaN rules.
// Arguments: x+0 (dy+8 dx+16 | y+8) w oh ow, ok the result.

// Lane permutations for VPERMI2PS (indices 16-31 select the second table):
// the even and odd lanes of a 32-lane pair, and the interleaving of two 16-lane
// vectors, low and high half.
DATA poolEven<>+0(SB)/4, $0
DATA poolEven<>+4(SB)/4, $2
DATA poolEven<>+8(SB)/4, $4
DATA poolEven<>+12(SB)/4, $6
DATA poolEven<>+16(SB)/4, $8
DATA poolEven<>+20(SB)/4, $10
DATA poolEven<>+24(SB)/4, $12
DATA poolEven<>+28(SB)/4, $14
DATA poolEven<>+32(SB)/4, $16
DATA poolEven<>+36(SB)/4, $18
DATA poolEven<>+40(SB)/4, $20
DATA poolEven<>+44(SB)/4, $22
DATA poolEven<>+48(SB)/4, $24
DATA poolEven<>+52(SB)/4, $26
DATA poolEven<>+56(SB)/4, $28
DATA poolEven<>+60(SB)/4, $30
GLOBL poolEven<>(SB), RODATA|NOPTR, $64
DATA poolOdd<>+0(SB)/4, $1
DATA poolOdd<>+4(SB)/4, $3
DATA poolOdd<>+8(SB)/4, $5
DATA poolOdd<>+12(SB)/4, $7
DATA poolOdd<>+16(SB)/4, $9
DATA poolOdd<>+20(SB)/4, $11
DATA poolOdd<>+24(SB)/4, $13
DATA poolOdd<>+28(SB)/4, $15
DATA poolOdd<>+32(SB)/4, $17
DATA poolOdd<>+36(SB)/4, $19
DATA poolOdd<>+40(SB)/4, $21
DATA poolOdd<>+44(SB)/4, $23
DATA poolOdd<>+48(SB)/4, $25
DATA poolOdd<>+52(SB)/4, $27
DATA poolOdd<>+56(SB)/4, $29
DATA poolOdd<>+60(SB)/4, $31
GLOBL poolOdd<>(SB), RODATA|NOPTR, $64
DATA poolInterleaveLo<>+0(SB)/4, $0
DATA poolInterleaveLo<>+4(SB)/4, $16
DATA poolInterleaveLo<>+8(SB)/4, $1
DATA poolInterleaveLo<>+12(SB)/4, $17
DATA poolInterleaveLo<>+16(SB)/4, $2
DATA poolInterleaveLo<>+20(SB)/4, $18
DATA poolInterleaveLo<>+24(SB)/4, $3
DATA poolInterleaveLo<>+28(SB)/4, $19
DATA poolInterleaveLo<>+32(SB)/4, $4
DATA poolInterleaveLo<>+36(SB)/4, $20
DATA poolInterleaveLo<>+40(SB)/4, $5
DATA poolInterleaveLo<>+44(SB)/4, $21
DATA poolInterleaveLo<>+48(SB)/4, $6
DATA poolInterleaveLo<>+52(SB)/4, $22
DATA poolInterleaveLo<>+56(SB)/4, $7
DATA poolInterleaveLo<>+60(SB)/4, $23
GLOBL poolInterleaveLo<>(SB), RODATA|NOPTR, $64
DATA poolInterleaveHi<>+0(SB)/4, $8
DATA poolInterleaveHi<>+4(SB)/4, $24
DATA poolInterleaveHi<>+8(SB)/4, $9
DATA poolInterleaveHi<>+12(SB)/4, $25
DATA poolInterleaveHi<>+16(SB)/4, $10
DATA poolInterleaveHi<>+20(SB)/4, $26
DATA poolInterleaveHi<>+24(SB)/4, $11
DATA poolInterleaveHi<>+28(SB)/4, $27
DATA poolInterleaveHi<>+32(SB)/4, $12
DATA poolInterleaveHi<>+36(SB)/4, $28
DATA poolInterleaveHi<>+40(SB)/4, $13
DATA poolInterleaveHi<>+44(SB)/4, $29
DATA poolInterleaveHi<>+48(SB)/4, $14
DATA poolInterleaveHi<>+52(SB)/4, $30
DATA poolInterleaveHi<>+56(SB)/4, $15
DATA poolInterleaveHi<>+60(SB)/4, $31
GLOBL poolInterleaveHi<>(SB), RODATA|NOPTR, $64

// BLOCK_MASKS sets, for AX = outputs left in the row, K1 to the output lanes
// (min(AX, 16)) and K2, K3 to the input lanes of the first and second 16
// input columns (2·AX split at 16). Clobbers CX, DX, R14, R15.
#define BLOCK_MASKS \
	MOVQ AX, CX; \
	CMPQ CX, $16; \
	JLE  2(PC); \
	MOVQ $16, CX; \
	MOVL $1, DX; \
	SHLXL CX, DX, DX; \
	DECL DX; \
	KMOVW DX, K1; \
	LEAQ (CX)(CX*1), R14; \
	MOVQ R14, R15; \
	CMPQ R15, $16; \
	JLE  2(PC); \
	MOVQ $16, R15; \
	MOVL $1, DX; \
	SHLXL R15, DX, DX; \
	DECL DX; \
	KMOVW DX, K2; \
	SUBQ R15, R14; \
	MOVL $1, DX; \
	SHLXL R14, DX, DX; \
	DECL DX; \
	KMOVW DX, K3

// LOAD_WINDOWS loads the block at input column 2·R11 of the rows at SI and
// SI+R8 and splits it into the window corners: Z4 top-left, Z5 top-right,
// Z6 bottom-left, Z7 bottom-right. It jumps to nan when a corner is NaN.
#define LOAD_WINDOWS(nan) \
	LEAQ (SI)(R11*8), R12; \
	VMOVUPS.Z (R12), K2, Z0; \
	VMOVUPS.Z 64(R12), K3, Z1; \
	VMOVUPS.Z (R12)(R8*1), K2, Z2; \
	VMOVUPS.Z 64(R12)(R8*1), K3, Z3; \
	VMOVDQA32 Z20, Z4; \
	VPERMI2PS Z1, Z0, Z4; \
	VMOVDQA32 Z21, Z5; \
	VPERMI2PS Z1, Z0, Z5; \
	VMOVDQA32 Z20, Z6; \
	VPERMI2PS Z3, Z2, Z6; \
	VMOVDQA32 Z21, Z7; \
	VPERMI2PS Z3, Z2, Z7; \
	VCMPPS $3, Z5, Z4, K4; \
	VCMPPS $3, Z7, Z6, K5; \
	KORTESTW K4, K5; \
	JNZ  nan; \
	VMAXPS Z5, Z4, Z8; \
	VMAXPS Z7, Z6, Z9; \
	VMAXPS Z9, Z8, Z8

#define LOAD_INDICES \
	VMOVDQU32 poolEven<>(SB), Z20; \
	VMOVDQU32 poolOdd<>(SB), Z21; \
	VMOVDQU32 poolInterleaveLo<>(SB), Z22; \
	VMOVDQU32 poolInterleaveHi<>(SB), Z23

// func maxPool2x2Forward32(x, y *float32, w, oh, ow int) (ok bool)
TEXT ·maxPool2x2Forward32(SB), NOSPLIT, $0-41
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), BX
	MOVQ w+16(FP), R8
	SHLQ $2, R8
	MOVQ oh+24(FP), R10
	MOVQ ow+32(FP), R9
	LOAD_INDICES

fwdRow:
	TESTQ R10, R10
	JZ   fwdDone
	XORQ R11, R11

fwdBlock:
	MOVQ R9, AX
	SUBQ R11, AX
	JLE  fwdNextRow
	BLOCK_MASKS
	LOAD_WINDOWS(fwdNaN)
	VMOVUPS Z8, K1, (BX)(R11*4)
	ADDQ $16, R11
	JMP  fwdBlock

fwdNextRow:
	LEAQ (SI)(R8*2), SI
	LEAQ (BX)(R9*4), BX
	DECQ R10
	JMP  fwdRow

fwdDone:
	MOVB $1, ok+40(FP)
	VZEROUPPER
	RET

fwdNaN:
	MOVB $0, ok+40(FP)
	VZEROUPPER
	RET

// func maxPool2x2Backward32(x, dy, dx *float32, w, oh, ow int) (ok bool)
// Each window's four gradient entries are written: dy at the first maximum in
// row-major order (EQ_OQ, so −0 ties +0), 0 at the others.
TEXT ·maxPool2x2Backward32(SB), NOSPLIT, $0-49
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ w+24(FP), R8
	SHLQ $2, R8
	MOVQ oh+32(FP), R10
	MOVQ ow+40(FP), R9
	LOAD_INDICES

bwdRow:
	TESTQ R10, R10
	JZ   bwdDone
	XORQ R11, R11

bwdBlock:
	MOVQ R9, AX
	SUBQ R11, AX
	JLE  bwdNextRow
	BLOCK_MASKS
	LOAD_WINDOWS(bwdNaN)
	VCMPPS $0, Z8, Z4, K4  // top-left wins where it is the maximum
	VCMPPS $0, Z8, Z5, K5
	KANDNW K5, K4, K5      // top-right: maximum, top-left not
	KORW   K4, K5, K6
	VCMPPS $0, Z8, Z6, K7
	KANDNW K7, K6, K7      // bottom-left: maximum, neither top one
	KORW   K6, K7, K6
	KNOTW  K6, K6          // bottom-right: the rest
	VMOVUPS.Z (BX)(R11*4), K1, Z10
	VMOVAPS.Z Z10, K4, Z11
	VMOVAPS.Z Z10, K5, Z12
	VMOVAPS.Z Z10, K7, Z13
	VMOVAPS.Z Z10, K6, Z14
	LEAQ (DI)(R11*8), R12
	VMOVDQA32 Z22, Z15
	VPERMI2PS Z12, Z11, Z15
	VMOVDQA32 Z23, Z16
	VPERMI2PS Z12, Z11, Z16
	VMOVUPS Z15, K2, (R12)
	VMOVUPS Z16, K3, 64(R12)
	VMOVDQA32 Z22, Z15
	VPERMI2PS Z14, Z13, Z15
	VMOVDQA32 Z23, Z16
	VPERMI2PS Z14, Z13, Z16
	VMOVUPS Z15, K2, (R12)(R8*1)
	VMOVUPS Z16, K3, 64(R12)(R8*1)
	ADDQ $16, R11
	JMP  bwdBlock

bwdNextRow:
	LEAQ (SI)(R8*2), SI
	LEAQ (DI)(R8*2), DI
	LEAQ (BX)(R9*4), BX
	DECQ R10
	JMP  bwdRow

bwdDone:
	MOVB $1, ok+48(FP)
	VZEROUPPER
	RET

bwdNaN:
	MOVB $0, ok+48(FP)
	VZEROUPPER
	RET

// Max pooling over any window with width stride 1 or 2, one float32 plane, in
// the manner of depthwisePlane32 (conv_depthwise_amd64.s), whose row and lane
// tables it takes: each output vector visits the window's taps in row-major
// order, and a lane takes a tap's value when it is greater than the best so
// far or the lane's first inside the input, so ties go to the first maximum
// as in argmaxWindow; idx (unless nil) gets the winning tap r·KW + s. It
// returns false, having written part of the plane, when a window holds a NaN.
//
// func maxPoolWindowsPlane32(src *float32, rows *int, y *float32, idx *int32, outRows, outRowBytes, tapRows, tapCols int, cols *depthwiseLanes, vectors, mode int) (ok bool)
TEXT ·maxPoolWindowsPlane32(SB), NOSPLIT, $0-89
	VMOVDQU32 poolEven<>(SB), Z28
	MOVL $0xff800000, AX // −Inf
	VPBROADCASTD AX, Z29
	MOVQ y+16(FP), DI
	MOVQ idx+24(FP), R14
	MOVQ rows+8(FP), R9
	MOVQ outRows+32(FP), R8

windowsRowLoop:
	MOVQ cols+64(FP), R10
	MOVQ vectors+72(FP), R11

windowsVectorLoop:
	VMOVAPS Z29, Z0
	VPXORD Z1, Z1, Z1
	KXORW K7, K7, K7 // lanes that have seen a tap
	KXORW K6, K6, K6 // lanes that have seen a NaN
	XORQ BX, BX      // the tap r·KW + s
	MOVQ R9, R12
	MOVQ tapRows+48(FP), R13

windowsTapRowLoop:
	MOVQ (R12), SI
	TESTQ SI, SI
	JS   windowsSkipRow
	ADDQ src+0(FP), SI
	LEAQ 16(R10), DX
	MOVQ tapCols+56(FP), CX

windowsTapLoop:
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	CMPQ mode+80(FP), $0
	JNE  windowsEvens
	VMOVUPS.Z (SI)(AX*1), K1, Z2
	JMP  windowsCompare
windowsEvens:
	KMOVW 10(DX), K2
	KMOVW 12(DX), K3
	VMOVUPS.Z (SI)(AX*1), K2, Z2
	VMOVUPS.Z 64(SI)(AX*1), K3, Z3
	VPERMT2PS Z3, Z28, Z2
windowsCompare:
	VCMPPS $3, Z2, Z2, K1, K2
	KORW K2, K6, K6
	VCMPPS $0x1E, Z0, Z2, K1, K3 // x > best
	KANDW K1, K7, K4
	KXORW K4, K1, K4             // first tap inside
	KORW K3, K4, K3
	VMOVAPS Z2, K3, Z0
	VPBROADCASTD BX, K3, Z1
	KORW K1, K7, K7
	INCQ BX
	ADDQ $16, DX
	DECQ CX
	JNZ  windowsTapLoop
	JMP  windowsNextRow

windowsSkipRow:
	ADDQ tapCols+56(FP), BX

windowsNextRow:
	ADDQ $8, R12
	DECQ R13
	JNZ  windowsTapRowLoop

	KORTESTW K6, K6
	JNZ  windowsNaN
	MOVQ (R10), AX
	KMOVW 8(R10), K1
	VMOVUPS Z0, K1, (DI)(AX*1)
	TESTQ R14, R14
	JZ   windowsNoIndex
	VMOVDQU32 Z1, K1, (R14)(AX*1)
windowsNoIndex:
	MOVQ tapCols+56(FP), AX
	INCQ AX
	SHLQ $4, AX
	ADDQ AX, R10
	DECQ R11
	JNZ  windowsVectorLoop

	MOVQ outRowBytes+40(FP), AX
	ADDQ AX, DI
	TESTQ R14, R14
	JZ   2(PC)
	ADDQ AX, R14
	MOVQ tapRows+48(FP), AX
	LEAQ (R9)(AX*8), R9
	DECQ R8
	JNZ  windowsRowLoop
	MOVB $1, ok+88(FP)
	VZEROUPPER
	RET

windowsNaN:
	MOVB $0, ok+88(FP)
	VZEROUPPER
	RET
