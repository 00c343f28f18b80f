//go:build amd64 && !noasm

#include "textflag.h"

// LOAD_MASKS sets K1-K4 to the four 16-bit masks packed in the argument,
// lowest first.
#define LOAD_MASKS(arg) \
	MOVQ  arg, AX; \
	KMOVW AX, K1; \
	SHRQ  $16, AX; \
	KMOVW AX, K2; \
	SHRQ  $16, AX; \
	KMOVW AX, K3; \
	SHRQ  $16, AX; \
	KMOVW AX, K4

// deinterleaveIndex holds the lanes of two zmm registers (32 floats) that
// VPERMT2PS takes for the even elements, then for the odd ones.
DATA deinterleaveIndex<>+0(SB)/8, $0x0000000200000000
DATA deinterleaveIndex<>+8(SB)/8, $0x0000000600000004
DATA deinterleaveIndex<>+16(SB)/8, $0x0000000a00000008
DATA deinterleaveIndex<>+24(SB)/8, $0x0000000e0000000c
DATA deinterleaveIndex<>+32(SB)/8, $0x0000001200000010
DATA deinterleaveIndex<>+40(SB)/8, $0x0000001600000014
DATA deinterleaveIndex<>+48(SB)/8, $0x0000001a00000018
DATA deinterleaveIndex<>+56(SB)/8, $0x0000001e0000001c
DATA deinterleaveIndex<>+64(SB)/8, $0x0000000300000001
DATA deinterleaveIndex<>+72(SB)/8, $0x0000000700000005
DATA deinterleaveIndex<>+80(SB)/8, $0x0000000b00000009
DATA deinterleaveIndex<>+88(SB)/8, $0x0000000f0000000d
DATA deinterleaveIndex<>+96(SB)/8, $0x0000001300000011
DATA deinterleaveIndex<>+104(SB)/8, $0x0000001700000015
DATA deinterleaveIndex<>+112(SB)/8, $0x0000001b00000019
DATA deinterleaveIndex<>+120(SB)/8, $0x0000001f0000001d
GLOBL deinterleaveIndex<>(SB), RODATA|NOPTR, $128

// func deinterleaveRows32(even *float32, odd *float32, dstStride int, src *float32, srcStride int, rows int, chunks int, masks uint64)
//
// even[r·dstStride + j] = src[r·srcStride + 2j], odd[r·dstStride + j] =
// src[r·srcStride + 2j + 1], for rows rows of chunks chunks of 32 source
// elements and a tail whose masks are packed in masks: the tail's first and
// second source vector (bits 0-15, 16-31), its even and odd elements (32-47,
// 48-63). Two loads and two permutes a chunk, where a compressing store is
// microcoded; the halves are stored as ymm, which cross fewer cache lines
// of the planes' rows, 17 floats wide in ResNet-8 (measured faster).
TEXT ·deinterleaveRows32(SB), NOSPLIT, $0-64
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), R8
	MOVQ dstStride+16(FP), R9
	SHLQ $2, R9
	MOVQ src+24(FP), SI
	MOVQ srcStride+32(FP), R10
	SHLQ $2, R10
	MOVQ rows+40(FP), CX
	MOVQ chunks+48(FP), DX
	LOAD_MASKS(masks+56(FP))
	VMOVUPS deinterleaveIndex<>+0(SB), Z30
	VMOVUPS deinterleaveIndex<>+64(SB), Z31
	TESTQ CX, CX
	JZ    deinterleaveDone

deinterleaveRow:
	XORQ R11, R11
	XORQ R12, R12
	MOVQ DX, BX
	TESTQ BX, BX
	JZ    deinterleaveTail

deinterleaveChunk:
	VMOVUPS   (SI)(R11*1), Z0
	VMOVAPS   Z0, Z2
	VPERMT2PS 64(SI)(R11*1), Z30, Z0
	VPERMT2PS 64(SI)(R11*1), Z31, Z2
	VMOVUPS       Y0, (DI)(R12*1)
	VEXTRACTF32X8 $1, Z0, 32(DI)(R12*1)
	VMOVUPS       Y2, (R8)(R12*1)
	VEXTRACTF32X8 $1, Z2, 32(R8)(R12*1)
	ADDQ          $128, R11
	ADDQ      $64, R12
	DECQ      BX
	JNZ       deinterleaveChunk

deinterleaveTail:
	KORTESTW K1, K1
	JZ       deinterleaveNext
	VMOVUPS.Z (SI)(R11*1), K1, Z0
	VMOVUPS.Z 64(SI)(R11*1), K2, Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z30, Z0
	VPERMT2PS Z1, Z31, Z2
	VMOVUPS   Z0, K3, (DI)(R12*1)
	VMOVUPS   Z2, K4, (R8)(R12*1)

deinterleaveNext:
	ADDQ R10, SI
	ADDQ R9, DI
	ADDQ R9, R8
	DECQ CX
	JNZ  deinterleaveRow

deinterleaveDone:
	VZEROUPPER
	RET

// interleaveIndex holds the lanes that VPERMT2PS takes from an even and an
// odd vector for the first 16 elements of their interleave, then the last.
DATA interleaveIndex<>+0(SB)/8, $0x0000001000000000
DATA interleaveIndex<>+8(SB)/8, $0x0000001100000001
DATA interleaveIndex<>+16(SB)/8, $0x0000001200000002
DATA interleaveIndex<>+24(SB)/8, $0x0000001300000003
DATA interleaveIndex<>+32(SB)/8, $0x0000001400000004
DATA interleaveIndex<>+40(SB)/8, $0x0000001500000005
DATA interleaveIndex<>+48(SB)/8, $0x0000001600000006
DATA interleaveIndex<>+56(SB)/8, $0x0000001700000007
DATA interleaveIndex<>+64(SB)/8, $0x0000001800000008
DATA interleaveIndex<>+72(SB)/8, $0x0000001900000009
DATA interleaveIndex<>+80(SB)/8, $0x0000001a0000000a
DATA interleaveIndex<>+88(SB)/8, $0x0000001b0000000b
DATA interleaveIndex<>+96(SB)/8, $0x0000001c0000000c
DATA interleaveIndex<>+104(SB)/8, $0x0000001d0000000d
DATA interleaveIndex<>+112(SB)/8, $0x0000001e0000000e
DATA interleaveIndex<>+120(SB)/8, $0x0000001f0000000f
GLOBL interleaveIndex<>(SB), RODATA|NOPTR, $128

// func interleaveRows32(dst *float32, dstStride int, even *float32, evenStride int, odd *float32, oddStride int, rows int, chunks int, masks uint64)
//
// dst[r·dstStride + 2j] = even[r·evenStride + j], dst[r·dstStride + 2j + 1] =
// odd[r·oddStride + j], deinterleaveRows32's inverse, for rows rows of
// chunks chunks of 32 elements of dst and a tail whose masks are packed in
// masks: its even and odd elements (bits 0-15, 16-31), its first and second
// vector of dst (32-47, 48-63).
TEXT ·interleaveRows32(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ dstStride+8(FP), R9
	SHLQ $2, R9
	MOVQ even+16(FP), SI
	MOVQ evenStride+24(FP), R10
	SHLQ $2, R10
	MOVQ odd+32(FP), R8
	MOVQ oddStride+40(FP), R13
	SHLQ $2, R13
	MOVQ rows+48(FP), CX
	MOVQ chunks+56(FP), DX
	LOAD_MASKS(masks+64(FP))
	VMOVUPS interleaveIndex<>+0(SB), Z30
	VMOVUPS interleaveIndex<>+64(SB), Z31
	TESTQ CX, CX
	JZ    interleaveDone

interleaveRow:
	XORQ R11, R11
	XORQ R12, R12
	MOVQ DX, BX
	TESTQ BX, BX
	JZ    interleaveTail

interleaveChunk:
	VMOVUPS   (SI)(R11*1), Z0
	VMOVAPS   Z0, Z2
	VPERMT2PS (R8)(R11*1), Z30, Z0
	VPERMT2PS (R8)(R11*1), Z31, Z2
	VMOVUPS   Z0, (DI)(R12*1)
	VMOVUPS   Z2, 64(DI)(R12*1)
	ADDQ      $64, R11
	ADDQ      $128, R12
	DECQ      BX
	JNZ       interleaveChunk

interleaveTail:
	KORTESTW K3, K3
	JZ       interleaveNext
	VMOVUPS.Z (SI)(R11*1), K1, Z0
	VMOVUPS.Z (R8)(R11*1), K2, Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z30, Z0
	VPERMT2PS Z1, Z31, Z2
	VMOVUPS   Z0, K3, (DI)(R12*1)
	VMOVUPS   Z2, K4, 64(DI)(R12*1)

interleaveNext:
	ADDQ R9, DI
	ADDQ R10, SI
	ADDQ R13, R8
	DECQ CX
	JNZ  interleaveRow

interleaveDone:
	VZEROUPPER
	RET
