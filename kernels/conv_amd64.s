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

// Stride-2 row kernels for strided im2col, col2im and stride phases, float32:
// rows rows of n elements, 8 at a time as a chunk (and a tail of fewer),
// where the strided side's 16-lane vector holds the chunk in its even lanes
// (mask 0x5555), compressed or expanded to the packed side. Arguments: dst+0
// dstStride+8 src+16 srcStride+24 rows+32 chunks+40 (n/8) tail+48 (the mask
// of the even lanes of the last n mod 8 elements, 0 if none).

// STRIDE2_SETUP loads DI dst, R8 dst stride in bytes, SI src, R9 src stride
// in bytes, CX rows, DX chunks, K1 0x5555, K2 the tail's mask.
#define STRIDE2_SETUP \
	MOVQ dst+0(FP), DI; \
	MOVQ dstStride+8(FP), R8; \
	SHLQ $2, R8; \
	MOVQ src+16(FP), SI; \
	MOVQ srcStride+24(FP), R9; \
	SHLQ $2, R9; \
	MOVQ rows+32(FP), CX; \
	MOVQ chunks+40(FP), DX; \
	MOVL $0x5555, AX; \
	KMOVW AX, K1; \
	MOVQ tail+48(FP), AX; \
	KMOVW AX, K2

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

// func gatherRows2x32(dst *float32, dstStride int, src *float32, srcStride int, rows int, chunks int, tail int)
// dst[r·dstStride + j] = src[r·srcStride + 2j]
TEXT ·gatherRows2x32(SB), NOSPLIT, $0-56
	STRIDE2_SETUP
	TESTQ CX, CX
	JZ   gatherDone

gatherRow:
	XORQ R11, R11
	XORQ R12, R12
	MOVQ DX, R10
	TESTQ R10, R10
	JZ   gatherTail

gatherChunk:
	VMOVUPS.Z   (SI)(R11*1), K1, Z0
	VCOMPRESSPS Z0, K1, (DI)(R12*1)
	ADDQ $64, R11
	ADDQ $32, R12
	DECQ R10
	JNZ  gatherChunk

gatherTail:
	KORTESTW K2, K2
	JZ   gatherNext
	VMOVUPS.Z   (SI)(R11*1), K2, Z0
	VCOMPRESSPS Z0, K2, (DI)(R12*1)

gatherNext:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  gatherRow

gatherDone:
	VZEROUPPER
	RET

// func scatterAddRows2x32(dst *float32, dstStride int, src *float32, srcStride int, rows int, chunks int, tail int)
// dst[r·dstStride + 2j] += src[r·srcStride + j]
TEXT ·scatterAddRows2x32(SB), NOSPLIT, $0-56
	STRIDE2_SETUP
	TESTQ CX, CX
	JZ   scatterDone

scatterRow:
	XORQ R11, R11
	XORQ R12, R12
	MOVQ DX, R10
	TESTQ R10, R10
	JZ   scatterTail

scatterChunk:
	VEXPANDPS.Z (SI)(R11*1), K1, Z0
	VMOVUPS.Z   (DI)(R12*1), K1, Z1
	VADDPS      Z0, Z1, K1, Z1
	VMOVUPS     Z1, K1, (DI)(R12*1)
	ADDQ $32, R11
	ADDQ $64, R12
	DECQ R10
	JNZ  scatterChunk

scatterTail:
	KORTESTW K2, K2
	JZ   scatterNext
	VEXPANDPS.Z (SI)(R11*1), K2, Z0
	VMOVUPS.Z   (DI)(R12*1), K2, Z1
	VADDPS      Z0, Z1, K2, Z1
	VMOVUPS     Z1, K2, (DI)(R12*1)

scatterNext:
	ADDQ R9, SI
	ADDQ R8, DI
	DECQ CX
	JNZ  scatterRow

scatterDone:
	VZEROUPPER
	RET
