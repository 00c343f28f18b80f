//go:build amd64 && !noasm

#include "textflag.h"
#include "lanes_amd64.h"

// Optimizer updates over float32 with AVX-512, 16 values per step and one
// masked step for the tail. Each operation is the Go loop's, in its order and
// unfused, so both give the same bits.

// FLUSH sets the lanes of REG whose exponent field is zero (subnormals and
// ±0) to +0, as optim.go's flushSubnormal; Z28 holds the exponent mask.
#define FLUSH(REG) \
	VPTESTMD Z28, REG, K2; \
	VMOVAPS.Z REG, K2, REG

// ADAM updates w (Z0), g (Z10), m (Z11), v (Z12) into w (Z0), m (Z2), v (Z4).
#define ADAM \
	VMULPS Z20, Z0, Z0; \
	VMULPS Z21, Z0, Z1; \
	VADDPS Z1, Z10, Z1; \
	VMULPS Z22, Z11, Z2; \
	VMULPS Z23, Z1, Z3; \
	VADDPS Z3, Z2, Z2; \
	FLUSH(Z2); \
	VMULPS Z24, Z12, Z4; \
	VMULPS Z25, Z1, Z5; \
	VMULPS Z1, Z5, Z5; \
	VADDPS Z5, Z4, Z4; \
	FLUSH(Z4); \
	VSQRTPS Z4, Z6; \
	VADDPS Z27, Z6, Z6; \
	VMULPS Z26, Z2, Z7; \
	VDIVPS Z6, Z7, Z7; \
	VADDPS Z7, Z0, Z0

// func adam32(w, grad, m, v *float32, n int, shrink, l2, b1, keep1, b2, keep2, negStep, epsB float32)
// wi = w·shrink, d = grad + l2·wi, m = b1·m + keep1·d, v = b2·v + keep2·d·d,
// w = wi + negStep·m/(√v + epsB), m and v flushed to +0 when subnormal.
TEXT ·adam32(SB), NOSPLIT, $0-72
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS shrink+40(FP), Z20
	VBROADCASTSS l2+44(FP), Z21
	VBROADCASTSS b1+48(FP), Z22
	VBROADCASTSS keep1+52(FP), Z23
	VBROADCASTSS b2+56(FP), Z24
	VBROADCASTSS keep2+60(FP), Z25
	VBROADCASTSS negStep+64(FP), Z26
	VBROADCASTSS epsB+68(FP), Z27
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z28
	JMP  adamTest
adamLoop:
	VMOVUPS (DI), Z0
	VMOVUPS (SI), Z10
	VMOVUPS (R8), Z11
	VMOVUPS (R9), Z12
	ADAM
	VMOVUPS Z2, (R8)
	VMOVUPS Z4, (R9)
	VMOVUPS Z0, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	SUBQ $16, CX
adamTest:
	CMPQ CX, $16
	JGE  adamLoop
	TESTQ CX, CX
	JZ   adamDone
	TAIL16(CX)
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K1, Z10
	VMOVUPS.Z (R8), K1, Z11
	VMOVUPS.Z (R9), K1, Z12
	ADAM
	VMOVUPS Z2, K1, (R8)
	VMOVUPS Z4, K1, (R9)
	VMOVUPS Z0, K1, (DI)
adamDone:
	VZEROUPPER
	RET

// func maxExponent32(x *float32, n int) uint32
// The largest exponent field (bits & 0x7f800000) over x: 0x7f800000 exactly
// when x holds a NaN or an infinity.
TEXT ·maxExponent32(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL $0x7f800000, AX
	VPBROADCASTD AX, Z31
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	JMP  expTest64
expLoop64:
	VPANDD (SI), Z31, Z2
	VPANDD 64(SI), Z31, Z3
	VPANDD 128(SI), Z31, Z4
	VPANDD 192(SI), Z31, Z5
	VPMAXUD Z2, Z0, Z0
	VPMAXUD Z3, Z1, Z1
	VPMAXUD Z4, Z0, Z0
	VPMAXUD Z5, Z1, Z1
	ADDQ $256, SI
	SUBQ $64, CX
expTest64:
	CMPQ CX, $64
	JGE  expLoop64
	JMP  expTest16
expLoop16:
	VPANDD (SI), Z31, Z2
	VPMAXUD Z2, Z0, Z0
	ADDQ $64, SI
	SUBQ $16, CX
expTest16:
	CMPQ CX, $16
	JGE  expLoop16
	TESTQ CX, CX
	JZ   expFold
	TAIL16(CX)
	VMOVDQU32.Z (SI), K1, Z2
	VPANDD Z2, Z31, Z2
	VPMAXUD Z2, Z1, Z1
expFold:
	VPMAXUD Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPMAXUD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPMAXUD X1, X0, X0
	VPSHUFD $0x4e, X0, X1
	VPMAXUD X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VPMAXUD X1, X0, X0
	VMOVD X0, AX
	MOVL AX, ret+16(FP)
	VZEROUPPER
	RET
