//go:build amd64 && !noasm

#include "textflag.h"

// Implicit-GEMM convolution micro-kernels (see conv_implicit.go): the blocked
// GEMM's AVX-512 float32 kernels with B read in place instead of packed:
// column v·16 + j of B's row p is b[offsets[p] + at(v) + j], at(0) = 0,
// at(1) = v1, at(2) = v2 (16 and 32 make the row one run). They compute
//
//	C[r][j] = Σ_p A[r][p]·B[p][j] + beta·C[r][j]   (C is not read when beta == ±0)
//
// for r < 8 and p < kc, A[r][p] at a + (r·rsA + p)·4 bytes, C rows ldc apart,
// with the sgemm kernels' arithmetic for alpha = 1. Arguments: kc+0 a+8 rsA+16
// offsets+24 b+32 v1+40 v2+48 c+56 ldc+64 beta+72.
//
// Registers: SI, DI A rows 0 and 4, R8, R10 rsA and 3·rsA in bytes, R9 the
// offsets, BX, R11, R12 the bases of B's vectors 0-2, AX the step's offset,
// CX steps left; after the steps DX, R13 C rows 0 and 4, R11, R12 ldc and
// 3·ldc in bytes.

#define A0 (SI)
#define A1 (SI)(R8*1)
#define A2 (SI)(R8*2)
#define A3 (SI)(R10*1)
#define A4 (DI)
#define A5 (DI)(R8*1)
#define A6 (DI)(R8*2)
#define A7 (DI)(R10*1)

#define C0 (DX)
#define C1 (DX)(R11*1)
#define C2 (DX)(R11*2)
#define C3 (DX)(R12*1)
#define C4 (R13)
#define C5 (R13)(R11*1)
#define C6 (R13)(R11*2)
#define C7 (R13)(R12*1)

#define LOAD_ARGS \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ rsA+16(FP), R8; \
	SHLQ $2, R8; \
	MOVQ offsets+24(FP), R9; \
	MOVQ b+32(FP), BX; \
	MOVQ v1+40(FP), R11; \
	LEAQ (BX)(R11*4), R11; \
	MOVQ v2+48(FP), R12; \
	LEAQ (BX)(R12*4), R12; \
	LEAQ (R8)(R8*2), R10; \
	LEAQ (SI)(R8*4), DI

#define LOAD_C \
	MOVQ c+56(FP), DX; \
	MOVQ ldc+64(FP), R11; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*2), R12; \
	LEAQ (DX)(R11*4), R13; \
	VBROADCASTSS beta+72(FP), Z25

#define NEXT_STEP \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	ADDQ $4, R9

#define BETA_ZERO(label) \
	MOVL beta+72(FP), AX; \
	ANDL $0x7fffffff, AX; \
	JZ   label

// Z25 = beta.
#define UPD16(addr, r) \
	VFMADD231PS addr, Z25, r; \
	VMOVUPS     r, addr

#define PUT16(addr, r) \
	VMOVUPS r, addr

#define FMA3(addr, bc, r0, r1, r2) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z24, bc, r0; \
	VFMADD231PS  Z26, bc, r1; \
	VFMADD231PS  Z31, bc, r2

#define FMA2(addr, bc, r0, r1) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z24, bc, r0; \
	VFMADD231PS  Z26, bc, r1

#define FMA1(addr, bc, r0) \
	VBROADCASTSS addr, bc; \
	VFMADD231PS  Z24, bc, r0

// FMA_8x3 multiplies A's eight rows by the three B vectors Z24, Z26, Z31
// into the 24 accumulators Z0-Z23.
#define FMA_8x3 \
	FMA3(A0, Z27, Z0, Z1, Z2); \
	FMA3(A1, Z28, Z3, Z4, Z5); \
	FMA3(A2, Z29, Z6, Z7, Z8); \
	FMA3(A3, Z30, Z9, Z10, Z11); \
	FMA3(A4, Z27, Z12, Z13, Z14); \
	FMA3(A5, Z28, Z15, Z16, Z17); \
	FMA3(A6, Z29, Z18, Z19, Z20); \
	FMA3(A7, Z30, Z21, Z22, Z23)

#define STEP48 \
	MOVLQSX (R9), AX; \
	VMOVUPS (BX)(AX*4), Z24; \
	VMOVUPS (R11)(AX*4), Z26; \
	VMOVUPS (R12)(AX*4), Z31; \
	FMA_8x3; \
	NEXT_STEP

#define STEP32 \
	MOVLQSX (R9), AX; \
	VMOVUPS (BX)(AX*4), Z24; \
	VMOVUPS (R11)(AX*4), Z26; \
	FMA2(A0, Z27, Z0, Z1); \
	FMA2(A1, Z28, Z2, Z3); \
	FMA2(A2, Z29, Z4, Z5); \
	FMA2(A3, Z30, Z6, Z7); \
	FMA2(A4, Z27, Z8, Z9); \
	FMA2(A5, Z28, Z10, Z11); \
	FMA2(A6, Z29, Z12, Z13); \
	FMA2(A7, Z30, Z14, Z15); \
	NEXT_STEP

#define STEP16 \
	MOVLQSX (R9), AX; \
	VMOVUPS (BX)(AX*4), Z24; \
	FMA1(A0, Z27, Z0); \
	FMA1(A1, Z28, Z1); \
	FMA1(A2, Z29, Z2); \
	FMA1(A3, Z30, Z3); \
	FMA1(A4, Z27, Z4); \
	FMA1(A5, Z28, Z5); \
	FMA1(A6, Z29, Z6); \
	FMA1(A7, Z30, Z7); \
	NEXT_STEP

// The half-row kernels (sconvHalfKernelAVX512xW) take B's 8-column halves
// from output rows v1 apart (v2 unused): vector v holds rows 2v and 2v+1,
// for outputs 8 wide. Per step DX is the base of row 0 and R11, R12, R13 are
// v1, 3·v1 and 5·v1 in bytes.
#define LOAD_ARGS_H \
	MOVQ kc+0(FP), CX; \
	MOVQ a+8(FP), SI; \
	MOVQ rsA+16(FP), R8; \
	SHLQ $2, R8; \
	MOVQ offsets+24(FP), R9; \
	MOVQ b+32(FP), BX; \
	MOVQ v1+40(FP), R11; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*2), R12; \
	LEAQ (R11)(R11*4), R13; \
	LEAQ (R8)(R8*2), R10; \
	LEAQ (SI)(R8*4), DI

#define HALF_ROWS \
	MOVLQSX (R9), AX; \
	LEAQ    (BX)(AX*4), DX

#define STEP48H \
	HALF_ROWS; \
	VMOVUPS      (DX), Y24; \
	VINSERTF64X4 $1, (DX)(R11*1), Z24, Z24; \
	VMOVUPS      (DX)(R11*2), Y26; \
	VINSERTF64X4 $1, (DX)(R12*1), Z26, Z26; \
	VMOVUPS      (DX)(R11*4), Y31; \
	VINSERTF64X4 $1, (DX)(R13*1), Z31, Z31; \
	FMA_8x3; \
	NEXT_STEP

#define STEP32H \
	HALF_ROWS; \
	VMOVUPS      (DX), Y24; \
	VINSERTF64X4 $1, (DX)(R11*1), Z24, Z24; \
	VMOVUPS      (DX)(R11*2), Y26; \
	VINSERTF64X4 $1, (DX)(R12*1), Z26, Z26; \
	FMA2(A0, Z27, Z0, Z1); \
	FMA2(A1, Z28, Z2, Z3); \
	FMA2(A2, Z29, Z4, Z5); \
	FMA2(A3, Z30, Z6, Z7); \
	FMA2(A4, Z27, Z8, Z9); \
	FMA2(A5, Z28, Z10, Z11); \
	FMA2(A6, Z29, Z12, Z13); \
	FMA2(A7, Z30, Z14, Z15); \
	NEXT_STEP

#define STEP16H \
	HALF_ROWS; \
	VMOVUPS      (DX), Y24; \
	VINSERTF64X4 $1, (DX)(R11*1), Z24, Z24; \
	FMA1(A0, Z27, Z0); \
	FMA1(A1, Z28, Z1); \
	FMA1(A2, Z29, Z2); \
	FMA1(A3, Z30, Z3); \
	FMA1(A4, Z27, Z4); \
	FMA1(A5, Z28, Z5); \
	FMA1(A6, Z29, Z6); \
	FMA1(A7, Z30, Z7); \
	NEXT_STEP

// LOAD_STEPS_A8 loads a filter kernel's step count into CX and its 8 rows of
// A: SI, DI rows 0 and 4, R8, R10 lda and 3·lda in bytes.
#define LOAD_STEPS_A8(steps, a, lda) \
	MOVQ steps, CX; \
	MOVQ a, SI; \
	MOVQ lda, R8; \
	SHLQ $2, R8; \
	LEAQ (R8)(R8*2), R10; \
	LEAQ (SI)(R8*4), DI

// ZERO_TILE48 clears the accumulators of a 48-wide tile; UPDATE_TILE48 adds
// them to C (beta ≠ 0), PUT_TILE48 stores them there.
#define ZERO_TILE48 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

#define UPDATE_TILE48 \
	UPD16(C0, Z0); \
	UPD16(64 C0, Z1); \
	UPD16(128 C0, Z2); \
	UPD16(C1, Z3); \
	UPD16(64 C1, Z4); \
	UPD16(128 C1, Z5); \
	UPD16(C2, Z6); \
	UPD16(64 C2, Z7); \
	UPD16(128 C2, Z8); \
	UPD16(C3, Z9); \
	UPD16(64 C3, Z10); \
	UPD16(128 C3, Z11); \
	UPD16(C4, Z12); \
	UPD16(64 C4, Z13); \
	UPD16(128 C4, Z14); \
	UPD16(C5, Z15); \
	UPD16(64 C5, Z16); \
	UPD16(128 C5, Z17); \
	UPD16(C6, Z18); \
	UPD16(64 C6, Z19); \
	UPD16(128 C6, Z20); \
	UPD16(C7, Z21); \
	UPD16(64 C7, Z22); \
	UPD16(128 C7, Z23)

#define PUT_TILE48 \
	PUT16(C0, Z0); \
	PUT16(64 C0, Z1); \
	PUT16(128 C0, Z2); \
	PUT16(C1, Z3); \
	PUT16(64 C1, Z4); \
	PUT16(128 C1, Z5); \
	PUT16(C2, Z6); \
	PUT16(64 C2, Z7); \
	PUT16(128 C2, Z8); \
	PUT16(C3, Z9); \
	PUT16(64 C3, Z10); \
	PUT16(128 C3, Z11); \
	PUT16(C4, Z12); \
	PUT16(64 C4, Z13); \
	PUT16(128 C4, Z14); \
	PUT16(C5, Z15); \
	PUT16(64 C5, Z16); \
	PUT16(128 C5, Z17); \
	PUT16(C6, Z18); \
	PUT16(64 C6, Z19); \
	PUT16(128 C6, Z20); \
	PUT16(C7, Z21); \
	PUT16(64 C7, Z22); \
	PUT16(128 C7, Z23)

// ZERO_TILE32 clears the accumulators of a 32-wide tile; UPDATE_TILE32 adds
// them to C (beta ≠ 0), PUT_TILE32 stores them there.
#define ZERO_TILE32 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

#define UPDATE_TILE32 \
	UPD16(C0, Z0); \
	UPD16(64 C0, Z1); \
	UPD16(C1, Z2); \
	UPD16(64 C1, Z3); \
	UPD16(C2, Z4); \
	UPD16(64 C2, Z5); \
	UPD16(C3, Z6); \
	UPD16(64 C3, Z7); \
	UPD16(C4, Z8); \
	UPD16(64 C4, Z9); \
	UPD16(C5, Z10); \
	UPD16(64 C5, Z11); \
	UPD16(C6, Z12); \
	UPD16(64 C6, Z13); \
	UPD16(C7, Z14); \
	UPD16(64 C7, Z15)

#define PUT_TILE32 \
	PUT16(C0, Z0); \
	PUT16(64 C0, Z1); \
	PUT16(C1, Z2); \
	PUT16(64 C1, Z3); \
	PUT16(C2, Z4); \
	PUT16(64 C2, Z5); \
	PUT16(C3, Z6); \
	PUT16(64 C3, Z7); \
	PUT16(C4, Z8); \
	PUT16(64 C4, Z9); \
	PUT16(C5, Z10); \
	PUT16(64 C5, Z11); \
	PUT16(C6, Z12); \
	PUT16(64 C6, Z13); \
	PUT16(C7, Z14); \
	PUT16(64 C7, Z15)

// ZERO_TILE16 clears the accumulators of a 16-wide tile; UPDATE_TILE16 adds
// them to C (beta ≠ 0), PUT_TILE16 stores them there.
#define ZERO_TILE16 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7

#define UPDATE_TILE16 \
	UPD16(C0, Z0); \
	UPD16(C1, Z1); \
	UPD16(C2, Z2); \
	UPD16(C3, Z3); \
	UPD16(C4, Z4); \
	UPD16(C5, Z5); \
	UPD16(C6, Z6); \
	UPD16(C7, Z7)

#define PUT_TILE16 \
	PUT16(C0, Z0); \
	PUT16(C1, Z1); \
	PUT16(C2, Z2); \
	PUT16(C3, Z3); \
	PUT16(C4, Z4); \
	PUT16(C5, Z5); \
	PUT16(C6, Z6); \
	PUT16(C7, Z7)

// TAPS_STEP is a step of sconvFilterTapsKernelAVX512: B's rows q, q − 1 and
// q − 2 times A's column q.
#define TAPS_STEP \
	VMOVUPS (BX), Z24; \
	VMOVUPS -64(BX), Z26; \
	VMOVUPS -128(BX), Z31; \
	FMA_8x3; \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	ADDQ $64, BX

// ADD16 adds r to the 16 floats at addr.
#define ADD16(addr, r) \
	VADDPS  addr, r, r; \
	VMOVUPS r, addr

// ADD_ROWS adds eight accumulators to C's rows 0-7 (DX, R13 as in LOAD_C).
#define ADD_ROWS(r0, r1, r2, r3, r4, r5, r6, r7) \
	ADD16(C0, r0); \
	ADD16(C1, r1); \
	ADD16(C2, r2); \
	ADD16(C3, r3); \
	ADD16(C4, r4); \
	ADD16(C5, r5); \
	ADD16(C6, r6); \
	ADD16(C7, r7)

// ADD_TAPt adds tap t's accumulators to C's rows 0-7.
#define ADD_TAP0 ADD_ROWS(Z0, Z3, Z6, Z9, Z12, Z15, Z18, Z21)
#define ADD_TAP1 ADD_ROWS(Z1, Z4, Z7, Z10, Z13, Z16, Z19, Z22)
#define ADD_TAP2 ADD_ROWS(Z2, Z5, Z8, Z11, Z14, Z17, Z20, Z23)

// ADD_TAPS adds the three taps' accumulators to their rows of C, from the
// frame's arguments c, ldc (elements between C's rows) and ldt (elements
// between the taps' rows).
#define ADD_TAPS(c, ldc, ldt) \
	MOVQ c, DX; \
	MOVQ ldc, R11; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*2), R12; \
	LEAQ (DX)(R11*4), R13; \
	MOVQ ldt, R9; \
	SHLQ $2, R9; \
	ADD_TAP0; \
	ADDQ R9, DX; \
	ADDQ R9, R13; \
	ADD_TAP1; \
	ADDQ R9, DX; \
	ADDQ R9, R13; \
	ADD_TAP2

// func sconvKernelAVX512x48(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)
TEXT ·sconvKernelAVX512x48(SB), NOSPLIT, $0-76
	LOAD_ARGS
	ZERO_TILE48
	CMPQ CX, $2
	JLT  tail48

loop48:
	STEP48
	STEP48
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop48

tail48:
	TESTQ CX, CX
	JZ    done48
	STEP48

done48:
	LOAD_C
	BETA_ZERO(put48)
	UPDATE_TILE48
	VZEROUPPER
	RET

put48:
	PUT_TILE48
	VZEROUPPER
	RET

// func sconvKernelAVX512x32(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)
TEXT ·sconvKernelAVX512x32(SB), NOSPLIT, $0-76
	LOAD_ARGS
	ZERO_TILE32
	CMPQ CX, $2
	JLT  tail32

loop32:
	STEP32
	STEP32
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop32

tail32:
	TESTQ CX, CX
	JZ    done32
	STEP32

done32:
	LOAD_C
	BETA_ZERO(put32)
	UPDATE_TILE32
	VZEROUPPER
	RET

put32:
	PUT_TILE32
	VZEROUPPER
	RET

// func sconvKernelAVX512x16(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)
TEXT ·sconvKernelAVX512x16(SB), NOSPLIT, $0-76
	LOAD_ARGS
	ZERO_TILE16
	CMPQ CX, $2
	JLT  tail16

loop16:
	STEP16
	STEP16
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop16

tail16:
	TESTQ CX, CX
	JZ    done16
	STEP16

done16:
	LOAD_C
	BETA_ZERO(put16)
	UPDATE_TILE16
	VZEROUPPER
	RET

put16:
	PUT_TILE16
	VZEROUPPER
	RET

// func sconvHalfKernelAVX512x48(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)
TEXT ·sconvHalfKernelAVX512x48(SB), NOSPLIT, $0-76
	LOAD_ARGS_H
	ZERO_TILE48
	CMPQ CX, $2
	JLT  tail48h

loop48h:
	STEP48H
	STEP48H
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop48h

tail48h:
	TESTQ CX, CX
	JZ    done48h
	STEP48H

done48h:
	LOAD_C
	BETA_ZERO(put48h)
	UPDATE_TILE48
	VZEROUPPER
	RET

put48h:
	PUT_TILE48
	VZEROUPPER
	RET

// func sconvHalfKernelAVX512x32(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)
TEXT ·sconvHalfKernelAVX512x32(SB), NOSPLIT, $0-76
	LOAD_ARGS_H
	ZERO_TILE32
	CMPQ CX, $2
	JLT  tail32h

loop32h:
	STEP32H
	STEP32H
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop32h

tail32h:
	TESTQ CX, CX
	JZ    done32h
	STEP32H

done32h:
	LOAD_C
	BETA_ZERO(put32h)
	UPDATE_TILE32
	VZEROUPPER
	RET

put32h:
	PUT_TILE32
	VZEROUPPER
	RET

// func sconvHalfKernelAVX512x16(kc int, a *float32, rsA int, offsets *int32, b *float32, v1, v2 int, c *float32, ldc int, beta float32)
TEXT ·sconvHalfKernelAVX512x16(SB), NOSPLIT, $0-76
	LOAD_ARGS_H
	ZERO_TILE16
	CMPQ CX, $2
	JLT  tail16h

loop16h:
	STEP16H
	STEP16H
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  loop16h

tail16h:
	TESTQ CX, CX
	JZ    done16h
	STEP16H

done16h:
	LOAD_C
	BETA_ZERO(put16h)
	UPDATE_TILE16
	VZEROUPPER
	RET

put16h:
	PUT_TILE16
	VZEROUPPER
	RET

// func sconvFilterKernelAVX512(steps int, a *float32, lda int, b0 *float32, b1 *float32, b2 *float32, out *float32)
//
// The backward filter kernel for few filters (see implicitFilterReduce):
// out[3r + t] = Σ_e a[r·lda + e]·b_t[e] for r < 8, t < 3 and e < 16·steps,
// each sum accumulated in 16 lanes and then added pairwise (lanes 8 apart,
// then 4, 2, 1). Z(3r + t) accumulate; SI, DI A rows 0 and 4, R8, R10 lda and
// 3·lda in bytes; R11-R13 the B rows; CX steps left.
TEXT ·sconvFilterKernelAVX512(SB), NOSPLIT, $0-56
	LOAD_STEPS_A8(steps+0(FP), a+8(FP), lda+16(FP))
	MOVQ b0+24(FP), R11
	MOVQ b1+32(FP), R12
	MOVQ b2+40(FP), R13
	ZERO_TILE48
	TESTQ CX, CX
	JZ   filterSums

filterStep:
	VMOVUPS (R11), Z24
	VMOVUPS (R12), Z25
	VMOVUPS (R13), Z26
	VMOVUPS (SI), Z27
	VFMADD231PS Z24, Z27, Z0
	VFMADD231PS Z25, Z27, Z1
	VFMADD231PS Z26, Z27, Z2
	VMOVUPS (SI)(R8*1), Z28
	VFMADD231PS Z24, Z28, Z3
	VFMADD231PS Z25, Z28, Z4
	VFMADD231PS Z26, Z28, Z5
	VMOVUPS (SI)(R8*2), Z27
	VFMADD231PS Z24, Z27, Z6
	VFMADD231PS Z25, Z27, Z7
	VFMADD231PS Z26, Z27, Z8
	VMOVUPS (SI)(R10*1), Z28
	VFMADD231PS Z24, Z28, Z9
	VFMADD231PS Z25, Z28, Z10
	VFMADD231PS Z26, Z28, Z11
	VMOVUPS (DI), Z27
	VFMADD231PS Z24, Z27, Z12
	VFMADD231PS Z25, Z27, Z13
	VFMADD231PS Z26, Z27, Z14
	VMOVUPS (DI)(R8*1), Z28
	VFMADD231PS Z24, Z28, Z15
	VFMADD231PS Z25, Z28, Z16
	VFMADD231PS Z26, Z28, Z17
	VMOVUPS (DI)(R8*2), Z27
	VFMADD231PS Z24, Z27, Z18
	VFMADD231PS Z25, Z27, Z19
	VFMADD231PS Z26, Z27, Z20
	VMOVUPS (DI)(R10*1), Z28
	VFMADD231PS Z24, Z28, Z21
	VFMADD231PS Z25, Z28, Z22
	VFMADD231PS Z26, Z28, Z23
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R11
	ADDQ $64, R12
	ADDQ $64, R13
	DECQ CX
	JNZ  filterStep

filterSums:
	MOVQ out+48(FP), DX
	VEXTRACTF64X4 $1, Z0, Y24
	VADDPS        Y0, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 0(DX)
	VEXTRACTF64X4 $1, Z1, Y24
	VADDPS        Y1, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 4(DX)
	VEXTRACTF64X4 $1, Z2, Y24
	VADDPS        Y2, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 8(DX)
	VEXTRACTF64X4 $1, Z3, Y24
	VADDPS        Y3, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 12(DX)
	VEXTRACTF64X4 $1, Z4, Y24
	VADDPS        Y4, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 16(DX)
	VEXTRACTF64X4 $1, Z5, Y24
	VADDPS        Y5, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 20(DX)
	VEXTRACTF64X4 $1, Z6, Y24
	VADDPS        Y6, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 24(DX)
	VEXTRACTF64X4 $1, Z7, Y24
	VADDPS        Y7, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 28(DX)
	VEXTRACTF64X4 $1, Z8, Y24
	VADDPS        Y8, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 32(DX)
	VEXTRACTF64X4 $1, Z9, Y24
	VADDPS        Y9, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 36(DX)
	VEXTRACTF64X4 $1, Z10, Y24
	VADDPS        Y10, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 40(DX)
	VEXTRACTF64X4 $1, Z11, Y24
	VADDPS        Y11, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 44(DX)
	VEXTRACTF64X4 $1, Z12, Y24
	VADDPS        Y12, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 48(DX)
	VEXTRACTF64X4 $1, Z13, Y24
	VADDPS        Y13, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 52(DX)
	VEXTRACTF64X4 $1, Z14, Y24
	VADDPS        Y14, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 56(DX)
	VEXTRACTF64X4 $1, Z15, Y24
	VADDPS        Y15, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 60(DX)
	VEXTRACTF64X4 $1, Z16, Y24
	VADDPS        Y16, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 64(DX)
	VEXTRACTF64X4 $1, Z17, Y24
	VADDPS        Y17, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 68(DX)
	VEXTRACTF64X4 $1, Z18, Y24
	VADDPS        Y18, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 72(DX)
	VEXTRACTF64X4 $1, Z19, Y24
	VADDPS        Y19, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 76(DX)
	VEXTRACTF64X4 $1, Z20, Y24
	VADDPS        Y20, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 80(DX)
	VEXTRACTF64X4 $1, Z21, Y24
	VADDPS        Y21, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 84(DX)
	VEXTRACTF64X4 $1, Z22, Y24
	VADDPS        Y22, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 88(DX)
	VEXTRACTF64X4 $1, Z23, Y24
	VADDPS        Y23, Y24, Y24
	VEXTRACTF32X4 $1, Y24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0x4e, X24, X25
	VADDPS        X24, X25, X24
	VPERMILPS     $0xb1, X24, X25
	VADDPS        X24, X25, X24
	VMOVSS        X24, 92(DX)
	VZEROUPPER
	RET

// func sconvFilterTapsKernelAVX512(rows int, width int, skipA int, skipB int, a *float32, lda int, b *float32, c *float32, ldc int, ldt int)
//
// The backward filter kernel of 3-tap filter rows (see implicitFilterTaps):
// with vectors over 16 filters,
//
//	C[t][r][j] += Σ_q A[r][q]·B[q − t][j]   for t < 3, r < 8, j < 16,
//
// q over rows runs of width steps, A's runs skipA elements apart past their
// ends and B's skipB rows, A[r][q] at a + (r·lda + q)·4 bytes (8 channels'
// rows of the input), B's row q at b + 64q bytes (the output gradients
// transposed, zero where no output pixel meets tap t), C[t][r] at
// c + (t·ldt + r·ldc)·4 bytes. Input pixel q of a channel's row meets output
// pixel q − t at tap t, so each broadcast of A feeds three taps. Z(3r + t)
// accumulate; Z24, Z26, Z31 B rows q, q − 1, q − 2; SI, DI, R8, R10 A as in
// the GEMM kernels; BX B's row q; AX rows left, CX steps left in the row,
// R13 width, R11, R12 the skips in bytes of A and of B.
TEXT ·sconvFilterTapsKernelAVX512(SB), NOSPLIT, $0-80
	MOVQ rows+0(FP), AX
	MOVQ width+8(FP), R13
	MOVQ skipA+16(FP), R11
	SHLQ $2, R11
	MOVQ skipB+24(FP), R12
	SHLQ $6, R12
	MOVQ a+32(FP), SI
	MOVQ lda+40(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R10
	LEAQ (SI)(R8*4), DI
	MOVQ b+48(FP), BX
	ZERO_TILE48
	TESTQ AX, AX
	JZ    tapsDone

tapsRow:
	MOVQ R13, CX
	CMPQ CX, $2
	JLT  tapsTail

tapsLoop:
	TAPS_STEP
	TAPS_STEP
	SUBQ $2, CX
	CMPQ CX, $2
	JGE  tapsLoop

tapsTail:
	TESTQ CX, CX
	JZ    tapsNext
	TAPS_STEP

tapsNext:
	ADDQ R11, SI
	ADDQ R11, DI
	ADDQ R12, BX
	DECQ AX
	JNZ  tapsRow

tapsDone:
	ADD_TAPS(c+56(FP), ldc+64(FP), ldt+72(FP))
	VZEROUPPER
	RET

// PHASES_FMA multiplies a channel's elements of the two column phases (a0,
// a1) by B rows q (Z24) and q − 1 (Z26) into its accumulators of taps 0-2.
#define PHASES_FMA(a0, a1, acc0, acc1, acc2) \
	VBROADCASTSS a0, Z27; \
	VFMADD231PS  Z24, Z27, acc0; \
	VFMADD231PS  Z26, Z27, acc2; \
	VBROADCASTSS a1, Z28; \
	VFMADD231PS  Z24, Z28, acc1

// PHASES_STEP is a step of sconvFilterPhasesKernelAVX512.
#define PHASES_STEP \
	VMOVUPS (BX), Z24; \
	VMOVUPS -64(BX), Z26; \
	PHASES_FMA(A0, (DX), Z0, Z1, Z2); \
	PHASES_FMA(A1, (DX)(R8*1), Z3, Z4, Z5); \
	PHASES_FMA(A2, (DX)(R8*2), Z6, Z7, Z8); \
	PHASES_FMA(A3, (DX)(R10*1), Z9, Z10, Z11); \
	PHASES_FMA(A4, (R9), Z12, Z13, Z14); \
	PHASES_FMA(A5, (R9)(R8*1), Z15, Z16, Z17); \
	PHASES_FMA(A6, (R9)(R8*2), Z18, Z19, Z20); \
	PHASES_FMA(A7, (R9)(R10*1), Z21, Z22, Z23); \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	ADDQ $4, DX; \
	ADDQ $4, R9; \
	ADDQ $64, BX

// func sconvFilterPhasesKernelAVX512(steps int, a *float32, lda int, plane int, b *float32, c *float32, ldc int, ldt int)
//
// The backward filter kernel of 3-tap filter rows of stride 2 (see
// implicitFilterPhases): with vectors over 16 filters,
//
//	C[0][r][j] += Σ_q A0[r][q]·B[q][j]
//	C[1][r][j] += Σ_q A1[r][q]·B[q][j]
//	C[2][r][j] += Σ_q A0[r][q]·B[q − 1][j]   for r < 8, j < 16, q < steps,
//
// A0[r][q] at a + (r·lda + q)·4 bytes (8 channels' planes of the even
// columns), A1[r][q] plane·4 bytes further (the odd columns), B's row q at
// b + 64q bytes (the output gradients transposed over the planes' width,
// zero past the outputs), C[t][r] at c + (t·ldt + r·ldc)·4 bytes. Element q
// of the even columns meets output pixel q at tap 0 and q − 1 at tap 2, that
// of the odd columns output pixel q at tap 1. Z(3r + t) accumulate; Z24, Z26
// B rows q, q − 1; SI, DI, R8, R10 A0 as in the GEMM kernels, DX, R9 A1's
// rows 0 and 4; BX B's row q; CX steps left.
TEXT ·sconvFilterPhasesKernelAVX512(SB), NOSPLIT, $0-64
	LOAD_STEPS_A8(steps+0(FP), a+8(FP), lda+16(FP))
	MOVQ plane+24(FP), DX
	SHLQ $2, DX
	LEAQ (DI)(DX*1), R9
	ADDQ SI, DX
	MOVQ b+32(FP), BX
	ZERO_TILE48
	TESTQ CX, CX
	JZ    phasesDone

phasesLoop:
	PHASES_STEP
	DECQ CX
	JNZ  phasesLoop

phasesDone:
	ADD_TAPS(c+40(FP), ldc+48(FP), ldt+56(FP))
	VZEROUPPER
	RET
