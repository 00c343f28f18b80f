//go:build amd64 && !noasm

#include "textflag.h"
#include "lanes_amd64.h"

// Element-wise sums over float32 with AVX-512: 32 values a step, then 16,
// then a masked tail.

// func add32(a, b, out *float32, n int)
// out = a + b.
TEXT ·add32(SB), NOSPLIT, $0-32
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), BX
	MOVQ out+16(FP), DI
	MOVQ n+24(FP), CX
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   add16
add32Loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VADDPS (BX), Z0, Z0
	VADDPS 64(BX), Z1, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, BX
	ADDQ $128, DI
	DECQ DX
	JNZ  add32Loop
add16:
	ANDQ $31, CX
	CMPQ CX, $16
	JL   addTail
	VMOVUPS (SI), Z0
	VADDPS (BX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	SUBQ $16, CX
addTail:
	TESTQ CX, CX
	JZ   addDone
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (BX), K1, Z1
	VADDPS Z1, Z0, Z0
	VMOVUPS Z0, K1, (DI)
addDone:
	VZEROUPPER
	RET

// func reluBackwardSum32(y, a, b, dx *float32, n int)
// dx = a + b where y ≤ 0 is false (predicate 6, NLE_UQ: y > 0 or NaN), else 0.
TEXT ·reluBackwardSum32(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), R8
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	MOVQ dx+24(FP), DI
	MOVQ n+32(FP), CX
	VPXORD Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   sum16
sum32Loop:
	VMOVUPS (R8), Z2
	VMOVUPS 64(R8), Z3
	VCMPPS $6, Z31, Z2, K2
	VCMPPS $6, Z31, Z3, K3
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z 64(SI), K3, Z1
	VADDPS.Z (BX), Z0, K2, Z0
	VADDPS.Z 64(BX), Z1, K3, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, R8
	ADDQ $128, SI
	ADDQ $128, BX
	ADDQ $128, DI
	DECQ DX
	JNZ  sum32Loop
sum16:
	ANDQ $31, CX
	CMPQ CX, $16
	JL   sumTail
	VMOVUPS (R8), Z2
	VCMPPS $6, Z31, Z2, K2
	VMOVUPS.Z (SI), K2, Z0
	VADDPS.Z (BX), Z0, K2, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, R8
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	SUBQ $16, CX
sumTail:
	TESTQ CX, CX
	JZ   sumDone
	TAIL16(CX)
	VMOVUPS.Z (R8), K1, Z2
	VCMPPS $6, Z31, Z2, K1, K2
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (BX), K2, Z1
	VADDPS.Z Z1, Z0, K2, Z0
	VMOVUPS Z0, K1, (DI)
sumDone:
	VZEROUPPER
	RET
