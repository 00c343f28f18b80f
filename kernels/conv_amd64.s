//go:build amd64 && !noasm

#include "textflag.h"

// Strided row kernels for im2col and col2im: rows rows of n elements, the rows
// of dst and src dstStride and srcStride elements apart. Rows are short (a
// convolution's output width), so each row is covered by whole 16- or 8-lane
// vectors, one unmasked half vector and one masked tail, without a scalar loop.
// Tails use the narrowest vector (ymm) so that the masked store does not reach
// far into the next row, which would stall the next row's load.
// Arguments: dst+0 dstStride+8 src+16 srcStride+24 rows+32 n+40.

// ROWS_SETUP loads the arguments for elements of 1<<ESHIFT bytes, ZSHIFT and
// YSHIFT being log2 of the lanes of a zmm and a ymm register:
//	DI dst, R8 dst stride in bytes, SI src, R9 src stride in bytes, CX rows,
//	DX whole zmm vectors per row, BX 1 if a whole ymm follows them,
//	K1 the lanes of the tail (fewer than a ymm).
#define ROWS_SETUP(ESHIFT, ZSHIFT, YSHIFT) \
	MOVQ dst+0(FP), DI; \
	MOVQ dstStride+8(FP), R8; \
	SHLQ $ESHIFT, R8; \
	MOVQ src+16(FP), SI; \
	MOVQ srcStride+24(FP), R9; \
	SHLQ $ESHIFT, R9; \
	MOVQ rows+32(FP), CX; \
	MOVQ n+40(FP), DX; \
	MOVQ DX, AX; \
	ANDQ $((1<<YSHIFT)-1), AX; \
	MOVL $1, BX; \
	SHLXL AX, BX, BX; \
	DECL BX; \
	KMOVW BX, K1; \
	MOVQ DX, BX; \
	SHRQ $YSHIFT, BX; \
	ANDQ $1, BX; \
	SHRQ $ZSHIFT, DX

// func copyRows32(dst *uint32, dstStride int, src *uint32, srcStride int, rows int, n int)
TEXT ·copyRows32(SB), NOSPLIT, $0-48
	ROWS_SETUP(2, 4, 3)
	TESTQ CX, CX
	JZ   copyDone

copyRow:
	XORQ R11, R11
	MOVQ DX, R10
	TESTQ R10, R10
	JZ   copyHalf

copyVec:
	VMOVDQU32 (SI)(R11*1), Z0
	VMOVDQU32 Z0, (DI)(R11*1)
	ADDQ $64, R11
	DECQ R10
	JNZ  copyVec

copyHalf:
	TESTQ BX, BX
	JZ   copyTail
	VMOVDQU (SI)(R11*1), Y0
	VMOVDQU Y0, (DI)(R11*1)
	ADDQ $32, R11

copyTail:
	KORTESTW K1, K1
	JZ   copyNext
	VMOVDQU32.Z (SI)(R11*1), K1, Y0
	VMOVDQU32 Y0, K1, (DI)(R11*1)

copyNext:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  copyRow

copyDone:
	VZEROUPPER
	RET

// func addRows32(dst *float32, dstStride int, src *float32, srcStride int, rows int, n int)
TEXT ·addRows32(SB), NOSPLIT, $0-48
	ROWS_SETUP(2, 4, 3)
	TESTQ CX, CX
	JZ   add32Done

add32Row:
	XORQ R11, R11
	MOVQ DX, R10
	TESTQ R10, R10
	JZ   add32Half

add32Vec:
	VMOVUPS (DI)(R11*1), Z0
	VADDPS  (SI)(R11*1), Z0, Z0
	VMOVUPS Z0, (DI)(R11*1)
	ADDQ $64, R11
	DECQ R10
	JNZ  add32Vec

add32Half:
	TESTQ BX, BX
	JZ   add32Tail
	VMOVUPS (DI)(R11*1), Y0
	VADDPS  (SI)(R11*1), Y0, Y0
	VMOVUPS Y0, (DI)(R11*1)
	ADDQ $32, R11

add32Tail:
	KORTESTW K1, K1
	JZ   add32Next
	VMOVUPS.Z (DI)(R11*1), K1, Y0
	VMOVUPS.Z (SI)(R11*1), K1, Y1
	VADDPS    Y1, Y0, Y0
	VMOVUPS   Y0, K1, (DI)(R11*1)

add32Next:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  add32Row

add32Done:
	VZEROUPPER
	RET

// func addRows64(dst *float64, dstStride int, src *float64, srcStride int, rows int, n int)
TEXT ·addRows64(SB), NOSPLIT, $0-48
	ROWS_SETUP(3, 3, 2)
	TESTQ CX, CX
	JZ   add64Done

add64Row:
	XORQ R11, R11
	MOVQ DX, R10
	TESTQ R10, R10
	JZ   add64Half

add64Vec:
	VMOVUPD (DI)(R11*1), Z0
	VADDPD  (SI)(R11*1), Z0, Z0
	VMOVUPD Z0, (DI)(R11*1)
	ADDQ $64, R11
	DECQ R10
	JNZ  add64Vec

add64Half:
	TESTQ BX, BX
	JZ   add64Tail
	VMOVUPD (DI)(R11*1), Y0
	VADDPD  (SI)(R11*1), Y0, Y0
	VMOVUPD Y0, (DI)(R11*1)
	ADDQ $32, R11

add64Tail:
	KORTESTW K1, K1
	JZ   add64Next
	VMOVUPD.Z (DI)(R11*1), K1, Y0
	VMOVUPD.Z (SI)(R11*1), K1, Y1
	VADDPD    Y1, Y0, Y0
	VMOVUPD   Y0, K1, (DI)(R11*1)

add64Next:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  add64Row

add64Done:
	VZEROUPPER
	RET

// func packTaps32(taps int, offsets *int32, src *float32, dst *float32, vecs int)
//
// Packs an implicit GEMM's B panel of vecs·16 columns: row p of dst (vecs·16
// elements after row p−1) is the run of src starting offsets[p] elements in.
TEXT ·packTaps32(SB), NOSPLIT, $0-40
	MOVQ taps+0(FP), CX
	MOVQ offsets+8(FP), BX
	MOVQ src+16(FP), SI
	MOVQ dst+24(FP), DI
	MOVQ vecs+32(FP), DX
	TESTQ CX, CX
	JZ   packDone

packTap:
	MOVLQSX (BX), AX
	LEAQ (SI)(AX*4), R8
	MOVQ DX, R10

packVec:
	VMOVUPS (R8), Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, R8
	ADDQ $64, DI
	DECQ R10
	JNZ  packVec

	ADDQ $4, BX
	DECQ CX
	JNZ  packTap

packDone:
	VZEROUPPER
	RET
