//go:build amd64 && !noasm

#include "textflag.h"

// ReLU over n contiguous elements with AVX-512: whole zmm vectors, then one
// masked vector for the tail. Arguments: pointers, then n.

// TAIL_MASK sets K2 to the low REG lanes (REG < lanes) and jumps to label when
// there are none.
#define TAIL_MASK(REG, label) \
	TESTQ REG, REG; \
	JZ label; \
	MOVL $1, AX; \
	SHLXL REG, AX, AX; \
	DECL AX; \
	KMOVW AX, K2

// func reluForward32(x, y *float32, n int)
// y = max(x, 0); VMAXPS returns its second source, x, when x is NaN.
TEXT ·reluForward32(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $4, DX
	ANDQ $15, CX
	JMP  fwd32Test
fwd32Loop:
	VMAXPS (SI), Z31, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ DX
fwd32Test:
	TESTQ DX, DX
	JNZ  fwd32Loop
	TAIL_MASK(CX, fwd32Done)
	VMOVUPS.Z (SI), K2, Z1
	VMAXPS Z1, Z31, Z0
	VMOVUPS Z0, K2, (DI)
fwd32Done:
	VZEROUPPER
	RET

// func reluForward64(x, y *float64, n int)
TEXT ·reluForward64(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORQ Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $3, DX
	ANDQ $7, CX
	JMP  fwd64Test
fwd64Loop:
	VMAXPD (SI), Z31, Z0
	VMOVUPD Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ DX
fwd64Test:
	TESTQ DX, DX
	JNZ  fwd64Loop
	TAIL_MASK(CX, fwd64Done)
	VMOVUPD.Z (SI), K2, Z1
	VMAXPD Z1, Z31, Z0
	VMOVUPD Z0, K2, (DI)
fwd64Done:
	VZEROUPPER
	RET

// func reluBackward32(x, dy, dx *float32, n int)
// dx = dy where x ≤ 0 is false (predicate 6, NLE_UQ: x > 0 or NaN), else 0.
TEXT ·reluBackward32(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VPXORD Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $4, DX
	ANDQ $15, CX
	JMP  bwd32Test
bwd32Loop:
	VMOVUPS (SI), Z0
	VCMPPS $6, Z31, Z0, K1
	VMOVUPS.Z (BX), K1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	DECQ DX
bwd32Test:
	TESTQ DX, DX
	JNZ  bwd32Loop
	TAIL_MASK(CX, bwd32Done)
	VMOVUPS.Z (SI), K2, Z0
	VCMPPS $6, Z31, Z0, K2, K1
	VMOVUPS.Z (BX), K1, Z1
	VMOVUPS Z1, K2, (DI)
bwd32Done:
	VZEROUPPER
	RET

// func reluBackward64(x, dy, dx *float64, n int)
TEXT ·reluBackward64(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VPXORQ Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $3, DX
	ANDQ $7, CX
	JMP  bwd64Test
bwd64Loop:
	VMOVUPD (SI), Z0
	VCMPPD $6, Z31, Z0, K1
	VMOVUPD.Z (BX), K1, Z1
	VMOVUPD Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	DECQ DX
bwd64Test:
	TESTQ DX, DX
	JNZ  bwd64Loop
	TAIL_MASK(CX, bwd64Done)
	VMOVUPD.Z (SI), K2, Z0
	VCMPPD $6, Z31, Z0, K2, K1
	VMOVUPD.Z (BX), K1, Z1
	VMOVUPD Z1, K2, (DI)
bwd64Done:
	VZEROUPPER
	RET
