//go:build amd64 && !noasm

#include "textflag.h"

// func shiftCol2imAVX512(col *float32, tapStride int, r int, s int, ow int, out *float32, w int)
//
// col2im of one channel plane for unit strides, no padding and 8 output rows
// (see shiftCol2im): out (7+r rows of w = ow+s−1 ≤ 16 elements) =
//
//	out[h][x] = Σ col[(rr·s + ss)·tapStride + (h−rr)·ow + x−ss]
//
// over the taps rr < r ≤ 5, ss < s with 0 ≤ h−rr < 8 and 0 ≤ x−ss < ow. The
// plane's rows stay in Z0-Z11: filter row rr adds into rows rr…rr+7, one
// written-out pass per rr, each tap a merge-masked add of lanes ss…ss+ow−1
// (the masked-off lanes are not read).
//
// Registers: BX the pass's first tap row, SI, DX its col rows 0 and 4 (shifted
// back by ss elements), R8, R9 ow and 3·ow in bytes, R11 the step to the next
// tap, R12 s, R13 the lanes of ss = 0, AX those of the tap, CX taps left, R14
// the step to the next pass, R15 passes left; DI out, R10 w in bytes, K2 its
// lanes.
TEXT ·shiftCol2imAVX512(SB), NOSPLIT, $0-56
	MOVQ col+0(FP), BX
	MOVQ tapStride+8(FP), R11
	SHLQ $2, R11
	MOVQ r+16(FP), R15
	MOVQ s+24(FP), R12
	MOVQ R12, R14
	IMULQ R11, R14
	SUBQ $4, R11
	MOVQ ow+32(FP), R8
	MOVL $1, R13
	SHLXL R8, R13, R13
	DECL R13
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R9
	MOVQ out+40(FP), DI
	MOVQ w+48(FP), R10
	MOVL $1, AX
	SHLXL R10, AX, AX
	DECL AX
	KMOVW AX, K2
	SHLQ $2, R10
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

pass0:
	MOVQ BX, SI
	LEAQ (SI)(R8*4), DX
	MOVQ R12, CX
	MOVL R13, AX

pass0Tap:
	KMOVW AX, K1
	VADDPS (SI), Z0, K1, Z0
	VADDPS (SI)(R8*1), Z1, K1, Z1
	VADDPS (SI)(R8*2), Z2, K1, Z2
	VADDPS (SI)(R9*1), Z3, K1, Z3
	VADDPS (DX), Z4, K1, Z4
	VADDPS (DX)(R8*1), Z5, K1, Z5
	VADDPS (DX)(R8*2), Z6, K1, Z6
	VADDPS (DX)(R9*1), Z7, K1, Z7
	ADDQ R11, SI
	ADDQ R11, DX
	SHLL $1, AX
	DECQ CX
	JNZ  pass0Tap
	ADDQ R14, BX
	DECQ R15
	JZ   store

pass1:
	MOVQ BX, SI
	LEAQ (SI)(R8*4), DX
	MOVQ R12, CX
	MOVL R13, AX

pass1Tap:
	KMOVW AX, K1
	VADDPS (SI), Z1, K1, Z1
	VADDPS (SI)(R8*1), Z2, K1, Z2
	VADDPS (SI)(R8*2), Z3, K1, Z3
	VADDPS (SI)(R9*1), Z4, K1, Z4
	VADDPS (DX), Z5, K1, Z5
	VADDPS (DX)(R8*1), Z6, K1, Z6
	VADDPS (DX)(R8*2), Z7, K1, Z7
	VADDPS (DX)(R9*1), Z8, K1, Z8
	ADDQ R11, SI
	ADDQ R11, DX
	SHLL $1, AX
	DECQ CX
	JNZ  pass1Tap
	ADDQ R14, BX
	DECQ R15
	JZ   store

pass2:
	MOVQ BX, SI
	LEAQ (SI)(R8*4), DX
	MOVQ R12, CX
	MOVL R13, AX

pass2Tap:
	KMOVW AX, K1
	VADDPS (SI), Z2, K1, Z2
	VADDPS (SI)(R8*1), Z3, K1, Z3
	VADDPS (SI)(R8*2), Z4, K1, Z4
	VADDPS (SI)(R9*1), Z5, K1, Z5
	VADDPS (DX), Z6, K1, Z6
	VADDPS (DX)(R8*1), Z7, K1, Z7
	VADDPS (DX)(R8*2), Z8, K1, Z8
	VADDPS (DX)(R9*1), Z9, K1, Z9
	ADDQ R11, SI
	ADDQ R11, DX
	SHLL $1, AX
	DECQ CX
	JNZ  pass2Tap
	ADDQ R14, BX
	DECQ R15
	JZ   store

pass3:
	MOVQ BX, SI
	LEAQ (SI)(R8*4), DX
	MOVQ R12, CX
	MOVL R13, AX

pass3Tap:
	KMOVW AX, K1
	VADDPS (SI), Z3, K1, Z3
	VADDPS (SI)(R8*1), Z4, K1, Z4
	VADDPS (SI)(R8*2), Z5, K1, Z5
	VADDPS (SI)(R9*1), Z6, K1, Z6
	VADDPS (DX), Z7, K1, Z7
	VADDPS (DX)(R8*1), Z8, K1, Z8
	VADDPS (DX)(R8*2), Z9, K1, Z9
	VADDPS (DX)(R9*1), Z10, K1, Z10
	ADDQ R11, SI
	ADDQ R11, DX
	SHLL $1, AX
	DECQ CX
	JNZ  pass3Tap
	ADDQ R14, BX
	DECQ R15
	JZ   store

pass4:
	MOVQ BX, SI
	LEAQ (SI)(R8*4), DX
	MOVQ R12, CX
	MOVL R13, AX

pass4Tap:
	KMOVW AX, K1
	VADDPS (SI), Z4, K1, Z4
	VADDPS (SI)(R8*1), Z5, K1, Z5
	VADDPS (SI)(R8*2), Z6, K1, Z6
	VADDPS (SI)(R9*1), Z7, K1, Z7
	VADDPS (DX), Z8, K1, Z8
	VADDPS (DX)(R8*1), Z9, K1, Z9
	VADDPS (DX)(R8*2), Z10, K1, Z10
	VADDPS (DX)(R9*1), Z11, K1, Z11
	ADDQ R11, SI
	ADDQ R11, DX
	SHLL $1, AX
	DECQ CX
	JNZ  pass4Tap
	ADDQ R14, BX
	DECQ R15
	JZ   store

store:
	MOVQ r+16(FP), R15
	VMOVUPS Z0, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z1, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z2, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z3, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z4, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z5, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z6, K2, (DI)
	ADDQ R10, DI
	VMOVUPS Z7, K2, (DI)
	ADDQ R10, DI
	DECQ R15
	JZ   done
	VMOVUPS Z8, K2, (DI)
	ADDQ R10, DI
	DECQ R15
	JZ   done
	VMOVUPS Z9, K2, (DI)
	ADDQ R10, DI
	DECQ R15
	JZ   done
	VMOVUPS Z10, K2, (DI)
	ADDQ R10, DI
	DECQ R15
	JZ   done
	VMOVUPS Z11, K2, (DI)
	ADDQ R10, DI

done:
	VZEROUPPER
	RET

// func copyRowBlocks32(dst *float32, dstRow int, dstBlock int, src *float32, srcRow int, srcBlock int, rows int, n int, blocks int)
//
// Copies blocks blocks of rows rows of n ≤ 16 elements, strides in elements:
// dst[b·dstBlock + r·dstRow + j] = src[b·srcBlock + r·srcRow + j], one
// masked load and store a row (the masked-off lanes are not touched).
// Registers: DI, SI the block's rows, R11, R12 the row's, R8, R10 row strides
// and R9, R13 block strides in bytes, BX rows left, CX blocks left, K1 the
// row's lanes.
TEXT ·copyRowBlocks32(SB), NOSPLIT, $0-72
	MOVQ dst+0(FP), DI
	MOVQ dstRow+8(FP), R8
	SHLQ $2, R8
	MOVQ dstBlock+16(FP), R9
	SHLQ $2, R9
	MOVQ src+24(FP), SI
	MOVQ srcRow+32(FP), R10
	SHLQ $2, R10
	MOVQ srcBlock+40(FP), R13
	SHLQ $2, R13
	MOVQ n+56(FP), AX
	MOVL $1, DX
	SHLXL AX, DX, DX
	DECL DX
	KMOVW DX, K1
	MOVQ blocks+64(FP), CX
	TESTQ CX, CX
	JZ   blocksDone
	CMPQ AX, $8
	JLE  halfBlock

block:
	MOVQ DI, R11
	MOVQ SI, R12
	MOVQ rows+48(FP), BX
	TESTQ BX, BX
	JZ   nextBlock

row:
	VMOVUPS.Z (R12), K1, Z0
	VMOVUPS Z0, K1, (R11)
	ADDQ R8, R11
	ADDQ R10, R12
	DECQ BX
	JNZ  row

nextBlock:
	ADDQ R9, DI
	ADDQ R13, SI
	DECQ CX
	JNZ  block
	JMP  blocksDone

// Rows of at most 8 elements go through ymm registers, so that a store
// never spans the next cache line.
halfBlock:
	MOVQ DI, R11
	MOVQ SI, R12
	MOVQ rows+48(FP), BX
	TESTQ BX, BX
	JZ   nextHalfBlock

halfRow:
	VMOVUPS.Z (R12), K1, Y0
	VMOVUPS Y0, K1, (R11)
	ADDQ R8, R11
	ADDQ R10, R12
	DECQ BX
	JNZ  halfRow

nextHalfBlock:
	ADDQ R9, DI
	ADDQ R13, SI
	DECQ CX
	JNZ  halfBlock

blocksDone:
	VZEROUPPER
	RET
