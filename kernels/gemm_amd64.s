//go:build amd64 && !noasm

#include "textflag.h"

// Register-tiled GEMM micro-kernels. Each computes one tile of C,
//
//	C[r][j] = alpha·Σ_p A[r][p]·B[p][j] + beta·C[r][j]   (C is not read when beta == ±0)
//
// for p < kc, where A[r][p] is read in place at a + (r·rsA + p·csA)·size bytes (so
// row-major, transposed and packed A all work) and B is a packed panel of width w:
// B[p][j] at b + (p·w + j)·size. C rows are ldc elements apart. Arguments:
// kc+0 a+8 rsA+16 csA+24 b+32 c+40 ldc+48, then alpha+56 beta+60 (float32) or
// alpha+56 beta+64 (float64).
//
// Register use shared by all kernels (strides in bytes):
//	SI, DI  A rows 0 and 4 (DI = SI + 4·rsA), advanced by R9 = csA per step
//	R8, R10 rsA and 3·rsA, to address rows 1-3 (5-7) from SI (DI)
//	BX      B panel, CX steps left
//	DX, R13 C rows 0 and 4; R11, R12 ldc and 3·ldc

// Row addresses of A relative to SI/DI.
#define A0 (SI)
#define A1 (SI)(R8*1)
#define A2 (SI)(R8*2)
#define A3 (SI)(R10*1)
#define A4 (DI)
#define A5 (DI)(R8*1)
#define A6 (DI)(R8*2)
#define A7 (DI)(R10*1)

// Row addresses of C relative to DX/R13.
#define C0 (DX)
#define C1 (DX)(R11*1)
#define C2 (DX)(R11*2)
#define C3 (DX)(R12*1)
#define C4 (R13)
#define C5 (R13)(R11*1)
#define C6 (R13)(R11*2)
#define C7 (R13)(R12*1)

// Loads the A and B arguments; shift is log2 of the element size.
#define LOAD_A_ARGS(shift) \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ rsA+16(FP), R8; \
	SHLQ shift, R8; \
	MOVQ csA+24(FP), R9; \
	SHLQ shift, R9; \
	MOVQ b+32(FP), BX; \
	LEAQ (R8)(R8*2), R10; \
	LEAQ (SI)(R8*4), DI

#define LOAD_C_ARGS(shift) \
	MOVQ c+40(FP), DX; \
	MOVQ ldc+48(FP), R11; \
	SHLQ shift, R11; \
	LEAQ (R11)(R11*2), R12; \
	LEAQ (DX)(R11*4), R13

// Prefetch the lines of a float32 C tile, rows of 32 or 48 elements that need not
// be line-aligned, at the start of a kernel: for a large product C comes from L3,
// and arrives while the tile is computed rather than stalling its update.
#define PREFETCH_ROW32(row) \
	PREFETCHT0 row; \
	PREFETCHT0 64 row; \
	PREFETCHT0 124 row

#define PREFETCH_ROW48(row) \
	PREFETCH_ROW32(row); \
	PREFETCHT0 188 row

#define PREFETCH_C(rowMacro) \
	LOAD_C_ARGS($2); \
	rowMacro(C0); \
	rowMacro(C1); \
	rowMacro(C2); \
	rowMacro(C3); \
	rowMacro(C4); \
	rowMacro(C5); \
	rowMacro(C6); \
	rowMacro(C7)

// Jumps to label when the float32 beta is +0 or -0: C is overwritten unread.
#define JMP_IF_BETA_ZERO(label) \
	MOVL beta+60(FP), AX; \
	ANDL $0x7fffffff, AX; \
	JZ   label

// Jumps to label when the float64 beta is +0 or -0.
#define JMP_IF_BETA64_ZERO(label) \
	MOVQ beta+64(FP), AX; \
	SHLQ $1, AX; \
	JZ   label

#define ADVANCE_A \
	ADDQ R9, SI; \
	ADDQ R9, DI

// ---- AVX-512, 8 rows × 48 columns: Z0-Z23 accumulate, row r in Z(3r)..Z(3r+2).

#define FMA48(addr, bc, r0, r1, r2) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z24, bc, r0; \
	VFMADD231PS  Z25, bc, r1; \
	VFMADD231PS  Z26, bc, r2

#define STEP48(off) \
	VMOVUPS off(BX), Z24; \
	VMOVUPS off+64(BX), Z25; \
	VMOVUPS off+128(BX), Z26; \
	FMA48(A0, Z27, Z0, Z1, Z2); \
	FMA48(A1, Z28, Z3, Z4, Z5); \
	FMA48(A2, Z29, Z6, Z7, Z8); \
	FMA48(A3, Z30, Z9, Z10, Z11); \
	FMA48(A4, Z27, Z12, Z13, Z14); \
	FMA48(A5, Z28, Z15, Z16, Z17); \
	FMA48(A6, Z29, Z18, Z19, Z20); \
	FMA48(A7, Z30, Z21, Z22, Z23); \
	ADVANCE_A

// Z24 = alpha, Z25 = beta.
#define UPD16(addr, r) \
	VMULPS      Z24, r, r; \
	VFMADD231PS addr, Z25, r; \
	VMOVUPS     r, addr

#define PUT16(addr, r) \
	VMULPS  Z24, r, r; \
	VMOVUPS r, addr

#define UPD48(row, r0, r1, r2) \
	UPD16(row, r0); \
	UPD16(64 row, r1); \
	UPD16(128 row, r2)

#define PUT48(row, r0, r1, r2) \
	PUT16(row, r0); \
	PUT16(64 row, r1); \
	PUT16(128 row, r2)

// func sgemmKernelAVX512x48(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)
TEXT ·sgemmKernelAVX512x48(SB), NOSPLIT, $0-64
	PREFETCH_C(PREFETCH_ROW48)
	LOAD_A_ARGS($2)
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
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	VPXORD Z20, Z20, Z20
	VPXORD Z21, Z21, Z21
	VPXORD Z22, Z22, Z22
	VPXORD Z23, Z23, Z23

	CMPQ CX, $4
	JLT  tail48

loop48:
	STEP48(0)
	STEP48(192)
	STEP48(384)
	STEP48(576)
	ADDQ $768, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop48

tail48:
	TESTQ CX, CX
	JZ    done48
	STEP48(0)
	ADDQ  $192, BX
	DECQ  CX
	JMP   tail48

done48:
	VBROADCASTSS alpha+56(FP), Z24
	VBROADCASTSS beta+60(FP), Z25
	JMP_IF_BETA_ZERO(put48)
	UPD48(C0, Z0, Z1, Z2)
	UPD48(C1, Z3, Z4, Z5)
	UPD48(C2, Z6, Z7, Z8)
	UPD48(C3, Z9, Z10, Z11)
	UPD48(C4, Z12, Z13, Z14)
	UPD48(C5, Z15, Z16, Z17)
	UPD48(C6, Z18, Z19, Z20)
	UPD48(C7, Z21, Z22, Z23)
	VZEROUPPER
	RET

put48:
	PUT48(C0, Z0, Z1, Z2)
	PUT48(C1, Z3, Z4, Z5)
	PUT48(C2, Z6, Z7, Z8)
	PUT48(C3, Z9, Z10, Z11)
	PUT48(C4, Z12, Z13, Z14)
	PUT48(C5, Z15, Z16, Z17)
	PUT48(C6, Z18, Z19, Z20)
	PUT48(C7, Z21, Z22, Z23)
	VZEROUPPER
	RET

// ---- AVX-512, 8 rows × 32 columns: row r in Z(2r), Z(2r+1).

#define FMA32(addr, bc, r0, r1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z24, bc, r0; \
	VFMADD231PS  Z25, bc, r1

#define STEP32(off) \
	VMOVUPS off(BX), Z24; \
	VMOVUPS off+64(BX), Z25; \
	FMA32(A0, Z27, Z0, Z1); \
	FMA32(A1, Z28, Z2, Z3); \
	FMA32(A2, Z29, Z4, Z5); \
	FMA32(A3, Z30, Z6, Z7); \
	FMA32(A4, Z27, Z8, Z9); \
	FMA32(A5, Z28, Z10, Z11); \
	FMA32(A6, Z29, Z12, Z13); \
	FMA32(A7, Z30, Z14, Z15); \
	ADVANCE_A

#define UPD32(row, r0, r1) \
	UPD16(row, r0); \
	UPD16(64 row, r1)

#define PUT32(row, r0, r1) \
	PUT16(row, r0); \
	PUT16(64 row, r1)

// func sgemmKernelAVX512x32(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)
TEXT ·sgemmKernelAVX512x32(SB), NOSPLIT, $0-64
	PREFETCH_C(PREFETCH_ROW32)
	LOAD_A_ARGS($2)
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
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	CMPQ CX, $4
	JLT  tail32

loop32:
	STEP32(0)
	STEP32(128)
	STEP32(256)
	STEP32(384)
	ADDQ $512, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop32

tail32:
	TESTQ CX, CX
	JZ    done32
	STEP32(0)
	ADDQ  $128, BX
	DECQ  CX
	JMP   tail32

done32:
	VBROADCASTSS alpha+56(FP), Z24
	VBROADCASTSS beta+60(FP), Z25
	JMP_IF_BETA_ZERO(put32)
	UPD32(C0, Z0, Z1)
	UPD32(C1, Z2, Z3)
	UPD32(C2, Z4, Z5)
	UPD32(C3, Z6, Z7)
	UPD32(C4, Z8, Z9)
	UPD32(C5, Z10, Z11)
	UPD32(C6, Z12, Z13)
	UPD32(C7, Z14, Z15)
	VZEROUPPER
	RET

put32:
	PUT32(C0, Z0, Z1)
	PUT32(C1, Z2, Z3)
	PUT32(C2, Z4, Z5)
	PUT32(C3, Z6, Z7)
	PUT32(C4, Z8, Z9)
	PUT32(C5, Z10, Z11)
	PUT32(C6, Z12, Z13)
	PUT32(C7, Z14, Z15)
	VZEROUPPER
	RET

// ---- AVX-512, 8 rows × 16 columns: row r in Zr.

#define FMA16(addr, bc, r0) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z24, bc, r0

#define STEP16(off) \
	VMOVUPS off(BX), Z24; \
	FMA16(A0, Z27, Z0); \
	FMA16(A1, Z28, Z1); \
	FMA16(A2, Z29, Z2); \
	FMA16(A3, Z30, Z3); \
	FMA16(A4, Z27, Z4); \
	FMA16(A5, Z28, Z5); \
	FMA16(A6, Z29, Z6); \
	FMA16(A7, Z30, Z7); \
	ADVANCE_A

// func sgemmKernelAVX512x16(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)
TEXT ·sgemmKernelAVX512x16(SB), NOSPLIT, $0-64
	LOAD_A_ARGS($2)
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

	CMPQ CX, $4
	JLT  tail16

loop16:
	STEP16(0)
	STEP16(64)
	STEP16(128)
	STEP16(192)
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop16

tail16:
	TESTQ CX, CX
	JZ    done16
	STEP16(0)
	ADDQ  $64, BX
	DECQ  CX
	JMP   tail16

done16:
	LOAD_C_ARGS($2)
	VBROADCASTSS alpha+56(FP), Z24
	VBROADCASTSS beta+60(FP), Z25
	JMP_IF_BETA_ZERO(put16)
	UPD16(C0, Z0)
	UPD16(C1, Z1)
	UPD16(C2, Z2)
	UPD16(C3, Z3)
	UPD16(C4, Z4)
	UPD16(C5, Z5)
	UPD16(C6, Z6)
	UPD16(C7, Z7)
	VZEROUPPER
	RET

put16:
	PUT16(C0, Z0)
	PUT16(C1, Z1)
	PUT16(C2, Z2)
	PUT16(C3, Z3)
	PUT16(C4, Z4)
	PUT16(C5, Z5)
	PUT16(C6, Z6)
	PUT16(C7, Z7)
	VZEROUPPER
	RET

// ---- AVX2+FMA, 6 rows × 16 columns: Y0-Y11 accumulate, row r in Y(2r), Y(2r+1);
// Y12, Y13 hold B, Y14, Y15 the broadcast A values.

#define FMAY(addr, bc, r0, r1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Y12, bc, r0; \
	VFMADD231PS  Y13, bc, r1

#define STEPY(off) \
	VMOVUPS off(BX), Y12; \
	VMOVUPS off+32(BX), Y13; \
	FMAY(A0, Y14, Y0, Y1); \
	FMAY(A1, Y15, Y2, Y3); \
	FMAY(A2, Y14, Y4, Y5); \
	FMAY(A3, Y15, Y6, Y7); \
	FMAY(A4, Y14, Y8, Y9); \
	FMAY(A5, Y15, Y10, Y11); \
	ADVANCE_A

// Y12 = alpha, Y13 = beta.
#define UPD8(addr, r) \
	VMULPS      Y12, r, r; \
	VFMADD231PS addr, Y13, r; \
	VMOVUPS     r, addr

#define PUT8(addr, r) \
	VMULPS  Y12, r, r; \
	VMOVUPS r, addr

#define UPDY(row, r0, r1) \
	UPD8(row, r0); \
	UPD8(32 row, r1)

#define PUTY(row, r0, r1) \
	PUT8(row, r0); \
	PUT8(32 row, r1)

// func sgemmKernelAVX2x16(kc int, a *float32, rsA int, csA int, b *float32, c *float32, ldc int, alpha float32, beta float32)
TEXT ·sgemmKernelAVX2x16(SB), NOSPLIT, $0-64
	LOAD_A_ARGS($2)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	CMPQ CX, $4
	JLT  tailY

loopY:
	STEPY(0)
	STEPY(64)
	STEPY(128)
	STEPY(192)
	ADDQ $256, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loopY

tailY:
	TESTQ CX, CX
	JZ    doneY
	STEPY(0)
	ADDQ  $64, BX
	DECQ  CX
	JMP   tailY

doneY:
	LOAD_C_ARGS($2)
	VBROADCASTSS alpha+56(FP), Y12
	VBROADCASTSS beta+60(FP), Y13
	JMP_IF_BETA_ZERO(putY)
	UPDY(C0, Y0, Y1)
	UPDY(C1, Y2, Y3)
	UPDY(C2, Y4, Y5)
	UPDY(C3, Y6, Y7)
	UPDY(C4, Y8, Y9)
	UPDY(C5, Y10, Y11)
	VZEROUPPER
	RET

putY:
	PUTY(C0, Y0, Y1)
	PUTY(C1, Y2, Y3)
	PUTY(C2, Y4, Y5)
	PUTY(C3, Y6, Y7)
	PUTY(C4, Y8, Y9)
	PUTY(C5, Y10, Y11)
	VZEROUPPER
	RET

// ---- AVX-512 float64, 8 rows × 24 columns: the float32 8×48 kernel on doubles.

#define FMA24D(addr, bc, r0, r1, r2) \
	VBROADCASTSD addr, bc; \
	VFMADD231PD  Z24, bc, r0; \
	VFMADD231PD  Z25, bc, r1; \
	VFMADD231PD  Z26, bc, r2

#define STEP24D(off) \
	VMOVUPD off(BX), Z24; \
	VMOVUPD off+64(BX), Z25; \
	VMOVUPD off+128(BX), Z26; \
	FMA24D(A0, Z27, Z0, Z1, Z2); \
	FMA24D(A1, Z28, Z3, Z4, Z5); \
	FMA24D(A2, Z29, Z6, Z7, Z8); \
	FMA24D(A3, Z30, Z9, Z10, Z11); \
	FMA24D(A4, Z27, Z12, Z13, Z14); \
	FMA24D(A5, Z28, Z15, Z16, Z17); \
	FMA24D(A6, Z29, Z18, Z19, Z20); \
	FMA24D(A7, Z30, Z21, Z22, Z23); \
	ADVANCE_A

// Z24 = alpha, Z25 = beta.
#define UPD8D(addr, r) \
	VMULPD      Z24, r, r; \
	VFMADD231PD addr, Z25, r; \
	VMOVUPD     r, addr

#define PUT8D(addr, r) \
	VMULPD  Z24, r, r; \
	VMOVUPD r, addr

#define UPD24D(row, r0, r1, r2) \
	UPD8D(row, r0); \
	UPD8D(64 row, r1); \
	UPD8D(128 row, r2)

#define PUT24D(row, r0, r1, r2) \
	PUT8D(row, r0); \
	PUT8D(64 row, r1); \
	PUT8D(128 row, r2)

// func dgemmKernelAVX512x24(kc int, a *float64, rsA int, csA int, b *float64, c *float64, ldc int, alpha float64, beta float64)
TEXT ·dgemmKernelAVX512x24(SB), NOSPLIT, $0-72
	LOAD_A_ARGS($3)
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	VPXORQ Z20, Z20, Z20
	VPXORQ Z21, Z21, Z21
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23

	CMPQ CX, $4
	JLT  tail24d

loop24d:
	STEP24D(0)
	STEP24D(192)
	STEP24D(384)
	STEP24D(576)
	ADDQ $768, BX
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop24d

tail24d:
	TESTQ CX, CX
	JZ    done24d
	STEP24D(0)
	ADDQ  $192, BX
	DECQ  CX
	JMP   tail24d

done24d:
	LOAD_C_ARGS($3)
	VBROADCASTSD alpha+56(FP), Z24
	VBROADCASTSD beta+64(FP), Z25
	JMP_IF_BETA64_ZERO(put24d)
	UPD24D(C0, Z0, Z1, Z2)
	UPD24D(C1, Z3, Z4, Z5)
	UPD24D(C2, Z6, Z7, Z8)
	UPD24D(C3, Z9, Z10, Z11)
	UPD24D(C4, Z12, Z13, Z14)
	UPD24D(C5, Z15, Z16, Z17)
	UPD24D(C6, Z18, Z19, Z20)
	UPD24D(C7, Z21, Z22, Z23)
	VZEROUPPER
	RET

put24d:
	PUT24D(C0, Z0, Z1, Z2)
	PUT24D(C1, Z3, Z4, Z5)
	PUT24D(C2, Z6, Z7, Z8)
	PUT24D(C3, Z9, Z10, Z11)
	PUT24D(C4, Z12, Z13, Z14)
	PUT24D(C5, Z15, Z16, Z17)
	PUT24D(C6, Z18, Z19, Z20)
	PUT24D(C7, Z21, Z22, Z23)
	VZEROUPPER
	RET

// ---- Packing op(B) from a transposed B with AVX-512.

// Rows 0-15 of the source block relative to SI, AX, BX, R14 (rows 0, 4, 8, 12).
#define LOAD_ROWS(off) \
	VMOVUPS off(SI), Z0; \
	VMOVUPS off(SI)(R8*1), Z1; \
	VMOVUPS off(SI)(R8*2), Z2; \
	VMOVUPS off(SI)(R10*1), Z3; \
	VMOVUPS off(AX), Z4; \
	VMOVUPS off(AX)(R8*1), Z5; \
	VMOVUPS off(AX)(R8*2), Z6; \
	VMOVUPS off(AX)(R10*1), Z7; \
	VMOVUPS off(BX), Z8; \
	VMOVUPS off(BX)(R8*1), Z9; \
	VMOVUPS off(BX)(R8*2), Z10; \
	VMOVUPS off(BX)(R10*1), Z11; \
	VMOVUPS off(R14), Z12; \
	VMOVUPS off(R14)(R8*1), Z13; \
	VMOVUPS off(R14)(R8*2), Z14; \
	VMOVUPS off(R14)(R10*1), Z15

// Interleave 32-bit elements of row pairs, then 64-bit pairs of those.
#define UNPACK_PS(r0, r1, t0, t1) \
	VUNPCKLPS r1, r0, t0; \
	VUNPCKHPS r1, r0, t1

#define UNPACK_PD(t0, t2, u0, u1) \
	VUNPCKLPD t2, t0, u0; \
	VUNPCKHPD t2, t0, u1

// Gather 128-bit lanes 0, 2 (imm 0x88) or 1, 3 (imm 0xDD) of x then y.
#define LANES(imm, x, y, d) \
	VSHUFF32X4 $imm, y, x, d

// func sgemmTransposeAVX512(kc int, src *float32, ld int, dst *float32, ldDst int)
//
// For c < 16 and p < kc rounded down to a multiple of 16: dst[p·ldDst + c] = src[c·ld + p].
TEXT ·sgemmTransposeAVX512(SB), NOSPLIT, $0-40
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R10
	MOVQ dst+24(FP), DI
	MOVQ ldDst+32(FP), R9
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R11

transpose:
	CMPQ CX, $16
	JLT  transposed
	LEAQ (SI)(R8*4), AX
	LEAQ (AX)(R8*4), BX
	LEAQ (BX)(R8*4), R14
	LOAD_ROWS(0)
	ADDQ $64, SI

	// Z16+2i, Z17+2i: columns 4l..4l+1 and 4l+2..4l+3 of rows 2i, 2i+1.
	UNPACK_PS(Z0, Z1, Z16, Z17)
	UNPACK_PS(Z2, Z3, Z18, Z19)
	UNPACK_PS(Z4, Z5, Z20, Z21)
	UNPACK_PS(Z6, Z7, Z22, Z23)
	UNPACK_PS(Z8, Z9, Z24, Z25)
	UNPACK_PS(Z10, Z11, Z26, Z27)
	UNPACK_PS(Z12, Z13, Z28, Z29)
	UNPACK_PS(Z14, Z15, Z30, Z31)

	// Z(4g+s): lane l holds rows 4g..4g+3 of column 4l+s.
	UNPACK_PD(Z16, Z18, Z0, Z1)
	UNPACK_PD(Z17, Z19, Z2, Z3)
	UNPACK_PD(Z20, Z22, Z4, Z5)
	UNPACK_PD(Z21, Z23, Z6, Z7)
	UNPACK_PD(Z24, Z26, Z8, Z9)
	UNPACK_PD(Z25, Z27, Z10, Z11)
	UNPACK_PD(Z28, Z30, Z12, Z13)
	UNPACK_PD(Z29, Z31, Z14, Z15)

	// 4×4 transpose of 128-bit lanes across Z(s), Z(4+s), Z(8+s), Z(12+s).
	LANES(0x88, Z0, Z4, Z16)
	LANES(0xDD, Z0, Z4, Z17)
	LANES(0x88, Z8, Z12, Z18)
	LANES(0xDD, Z8, Z12, Z19)
	LANES(0x88, Z1, Z5, Z20)
	LANES(0xDD, Z1, Z5, Z21)
	LANES(0x88, Z9, Z13, Z22)
	LANES(0xDD, Z9, Z13, Z23)
	LANES(0x88, Z2, Z6, Z24)
	LANES(0xDD, Z2, Z6, Z25)
	LANES(0x88, Z10, Z14, Z26)
	LANES(0xDD, Z10, Z14, Z27)
	LANES(0x88, Z3, Z7, Z28)
	LANES(0xDD, Z3, Z7, Z29)
	LANES(0x88, Z11, Z15, Z30)
	LANES(0xDD, Z11, Z15, Z31)

	// Output column 4l+s from (P, R) = (Z16+4s, Z18+4s) for l = 0, 2 and
	// (Q, S) = (Z17+4s, Z19+4s) for l = 1, 3.
	LANES(0x88, Z16, Z18, Z0)
	LANES(0x88, Z20, Z22, Z1)
	LANES(0x88, Z24, Z26, Z2)
	LANES(0x88, Z28, Z30, Z3)
	LANES(0x88, Z17, Z19, Z4)
	LANES(0x88, Z21, Z23, Z5)
	LANES(0x88, Z25, Z27, Z6)
	LANES(0x88, Z29, Z31, Z7)
	LANES(0xDD, Z16, Z18, Z8)
	LANES(0xDD, Z20, Z22, Z9)
	LANES(0xDD, Z24, Z26, Z10)
	LANES(0xDD, Z28, Z30, Z11)
	LANES(0xDD, Z17, Z19, Z12)
	LANES(0xDD, Z21, Z23, Z13)
	LANES(0xDD, Z25, Z27, Z14)
	LANES(0xDD, Z29, Z31, Z15)

	LEAQ    (DI)(R9*4), DX
	LEAQ    (DX)(R9*4), R12
	LEAQ    (R12)(R9*4), R13
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, (DI)(R9*1)
	VMOVUPS Z2, (DI)(R9*2)
	VMOVUPS Z3, (DI)(R11*1)
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, (DX)(R9*1)
	VMOVUPS Z6, (DX)(R9*2)
	VMOVUPS Z7, (DX)(R11*1)
	VMOVUPS Z8, (R12)
	VMOVUPS Z9, (R12)(R9*1)
	VMOVUPS Z10, (R12)(R9*2)
	VMOVUPS Z11, (R12)(R11*1)
	VMOVUPS Z12, (R13)
	VMOVUPS Z13, (R13)(R9*1)
	VMOVUPS Z14, (R13)(R9*2)
	VMOVUPS Z15, (R13)(R11*1)
	LEAQ    (R13)(R9*4), DI
	SUBQ    $16, CX
	JMP     transpose

transposed:
	VZEROUPPER
	RET

// func sgemmCopyAVX512(rows int, vecs int, src *float32, ld int, dst *float32, ldDst int)
//
// Copies rows rows of vecs×16 floats from src (rows ld floats apart) to dst (rows
// ldDst floats apart): op(B) panels from a row-major B.
TEXT ·sgemmCopyAVX512(SB), NOSPLIT, $0-48
	MOVQ rows+0(FP), CX
	MOVQ vecs+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), R8
	SHLQ $2, R8
	MOVQ dst+32(FP), DI
	MOVQ ldDst+40(FP), R9
	SHLQ $2, R9
	TESTQ CX, CX
	JZ    copied
	TESTQ DX, DX
	JZ    copied

copyRow:
	XORQ AX, AX
	MOVQ DX, BX
	CMPQ BX, $3
	JLT  copyVec

copy3:
	VMOVUPS (SI)(AX*1), Z0
	VMOVUPS 64(SI)(AX*1), Z1
	VMOVUPS 128(SI)(AX*1), Z2
	VMOVUPS Z0, (DI)(AX*1)
	VMOVUPS Z1, 64(DI)(AX*1)
	VMOVUPS Z2, 128(DI)(AX*1)
	ADDQ    $192, AX
	SUBQ    $3, BX
	CMPQ    BX, $3
	JGE     copy3

copyVec:
	TESTQ   BX, BX
	JZ      rowCopied
	VMOVUPS (SI)(AX*1), Z0
	VMOVUPS Z0, (DI)(AX*1)
	ADDQ    $64, AX
	DECQ    BX
	JMP     copyVec

rowCopied:
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JNZ  copyRow

copied:
	VZEROUPPER
	RET

// func sgemmPackTransAAVX512(kc int, src *float32, ld int, dst *float32)
//
// For p < kc and r < 8: dst[p·8 + r] = src[p·ld + r]. Packs an 8-row micro-panel
// of op(A) from a transposed A, whose steps lie ld floats apart: the kernels then
// read it from one contiguous block rather than from kc lines in as many pages.
TEXT ·sgemmPackTransAAVX512(SB), NOSPLIT, $0-32
	MOVQ kc+0(FP), CX
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R8
	SHLQ $2, R8
	MOVQ dst+24(FP), DI
	LEAQ (R8)(R8*2), R9
	CMPQ CX, $4
	JLT  packTail

pack4:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	LEAQ    (SI)(R8*4), SI
	ADDQ    $128, DI
	SUBQ    $4, CX
	CMPQ    CX, $4
	JGE     pack4

packTail:
	TESTQ   CX, CX
	JZ      packed
	VMOVUPS (SI), Y0
	VMOVUPS Y0, (DI)
	ADDQ    R8, SI
	ADDQ    $32, DI
	DECQ    CX
	JMP     packTail

packed:
	VZEROUPPER
	RET
