//go:build amd64 && !noasm

#include "textflag.h"

// Implicit-GEMM convolution micro-kernels (see conv_implicit.go): the blocked
// GEMM's AVX-512 float32 kernels with B read in place instead of packed, row p
// of B being the run of b starting offsets[p] elements in. They compute
//
//	C[r][j] = Σ_p A[r][p]·b[offsets[p] + j] + beta·C[r][j]   (C is not read when beta == ±0)
//
// for r < 8 and p < kc, A[r][p] at a + (r·rsA + p)·4 bytes, C rows ldc apart,
// with the sgemm kernels' arithmetic for alpha = 1. Arguments: kc+0 a+8 rsA+16
// offsets+24 b+32 c+40 ldc+48 beta+56.
//
// Registers: SI, DI A rows 0 and 4, R8, R10 rsA and 3·rsA in bytes, R9 the
// offsets, BX the base of B, AX the step's offset, CX steps left; DX, R13 C
// rows 0 and 4, R11, R12 ldc and 3·ldc in bytes.

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
	LEAQ (R8)(R8*2), R10; \
	LEAQ (SI)(R8*4), DI

#define LOAD_C \
	MOVQ c+40(FP), DX; \
	MOVQ ldc+48(FP), R11; \
	SHLQ $2, R11; \
	LEAQ (R11)(R11*2), R12; \
	LEAQ (DX)(R11*4), R13; \
	VBROADCASTSS beta+56(FP), Z25

#define NEXT_STEP \
	ADDQ $4, SI; \
	ADDQ $4, DI; \
	ADDQ $4, R9

#define BETA_ZERO(label) \
	MOVL beta+56(FP), AX; \
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

#define STEP48 \
	MOVLQSX (R9), AX; \
	VMOVUPS (BX)(AX*4), Z24; \
	VMOVUPS 64(BX)(AX*4), Z26; \
	VMOVUPS 128(BX)(AX*4), Z31; \
	FMA3(A0, Z27, Z0, Z1, Z2); \
	FMA3(A1, Z28, Z3, Z4, Z5); \
	FMA3(A2, Z29, Z6, Z7, Z8); \
	FMA3(A3, Z30, Z9, Z10, Z11); \
	FMA3(A4, Z27, Z12, Z13, Z14); \
	FMA3(A5, Z28, Z15, Z16, Z17); \
	FMA3(A6, Z29, Z18, Z19, Z20); \
	FMA3(A7, Z30, Z21, Z22, Z23); \
	NEXT_STEP

#define STEP32 \
	MOVLQSX (R9), AX; \
	VMOVUPS (BX)(AX*4), Z24; \
	VMOVUPS 64(BX)(AX*4), Z26; \
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

// func sconvKernelAVX512x48(kc int, a *float32, rsA int, offsets *int32, b *float32, c *float32, ldc int, beta float32)
TEXT ·sconvKernelAVX512x48(SB), NOSPLIT, $0-60
	LOAD_ARGS
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
	UPD16(C0, Z0)
	UPD16(64 C0, Z1)
	UPD16(128 C0, Z2)
	UPD16(C1, Z3)
	UPD16(64 C1, Z4)
	UPD16(128 C1, Z5)
	UPD16(C2, Z6)
	UPD16(64 C2, Z7)
	UPD16(128 C2, Z8)
	UPD16(C3, Z9)
	UPD16(64 C3, Z10)
	UPD16(128 C3, Z11)
	UPD16(C4, Z12)
	UPD16(64 C4, Z13)
	UPD16(128 C4, Z14)
	UPD16(C5, Z15)
	UPD16(64 C5, Z16)
	UPD16(128 C5, Z17)
	UPD16(C6, Z18)
	UPD16(64 C6, Z19)
	UPD16(128 C6, Z20)
	UPD16(C7, Z21)
	UPD16(64 C7, Z22)
	UPD16(128 C7, Z23)
	VZEROUPPER
	RET

put48:
	PUT16(C0, Z0)
	PUT16(64 C0, Z1)
	PUT16(128 C0, Z2)
	PUT16(C1, Z3)
	PUT16(64 C1, Z4)
	PUT16(128 C1, Z5)
	PUT16(C2, Z6)
	PUT16(64 C2, Z7)
	PUT16(128 C2, Z8)
	PUT16(C3, Z9)
	PUT16(64 C3, Z10)
	PUT16(128 C3, Z11)
	PUT16(C4, Z12)
	PUT16(64 C4, Z13)
	PUT16(128 C4, Z14)
	PUT16(C5, Z15)
	PUT16(64 C5, Z16)
	PUT16(128 C5, Z17)
	PUT16(C6, Z18)
	PUT16(64 C6, Z19)
	PUT16(128 C6, Z20)
	PUT16(C7, Z21)
	PUT16(64 C7, Z22)
	PUT16(128 C7, Z23)
	VZEROUPPER
	RET

// func sconvKernelAVX512x32(kc int, a *float32, rsA int, offsets *int32, b *float32, c *float32, ldc int, beta float32)
TEXT ·sconvKernelAVX512x32(SB), NOSPLIT, $0-60
	LOAD_ARGS
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
	UPD16(C0, Z0)
	UPD16(64 C0, Z1)
	UPD16(C1, Z2)
	UPD16(64 C1, Z3)
	UPD16(C2, Z4)
	UPD16(64 C2, Z5)
	UPD16(C3, Z6)
	UPD16(64 C3, Z7)
	UPD16(C4, Z8)
	UPD16(64 C4, Z9)
	UPD16(C5, Z10)
	UPD16(64 C5, Z11)
	UPD16(C6, Z12)
	UPD16(64 C6, Z13)
	UPD16(C7, Z14)
	UPD16(64 C7, Z15)
	VZEROUPPER
	RET

put32:
	PUT16(C0, Z0)
	PUT16(64 C0, Z1)
	PUT16(C1, Z2)
	PUT16(64 C1, Z3)
	PUT16(C2, Z4)
	PUT16(64 C2, Z5)
	PUT16(C3, Z6)
	PUT16(64 C3, Z7)
	PUT16(C4, Z8)
	PUT16(64 C4, Z9)
	PUT16(C5, Z10)
	PUT16(64 C5, Z11)
	PUT16(C6, Z12)
	PUT16(64 C6, Z13)
	PUT16(C7, Z14)
	PUT16(64 C7, Z15)
	VZEROUPPER
	RET

// func sconvKernelAVX512x16(kc int, a *float32, rsA int, offsets *int32, b *float32, c *float32, ldc int, beta float32)
TEXT ·sconvKernelAVX512x16(SB), NOSPLIT, $0-60
	LOAD_ARGS
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
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

