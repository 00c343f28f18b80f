//go:build amd64 && !noasm

#include "textflag.h"

// ReLU6 over n contiguous float32 elements with AVX-512: whole zmm vectors,
// then one masked vector for the tail. Arguments: pointers, then n.

// RELU6_TAIL_MASK sets K2 to the low REG lanes (REG < 16) and jumps to label
// when there are none.
#define RELU6_TAIL_MASK(REG, label) \
	TESTQ REG, REG; \
	JZ label; \
	MOVL $1, AX; \
	SHLXL REG, AX, AX; \
	DECL AX; \
	KMOVW AX, K2

// RELU6 clamps Z0 to [0, 6] as Go's min(max(x, 0), 6): VMAXPS and VMINPS
// return their second source, x, when x is NaN; adding +0 turns max(−0, 0)
// into +0 and leaves every other value (NaN included) as it is.
#define RELU6 \
	VMAXPS Z0, Z31, Z0; \
	VADDPS Z31, Z0, Z0; \
	VMINPS Z0, Z30, Z0

// func relu6Forward32(x, y *float32, n int)
TEXT ·relu6Forward32(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z31, Z31, Z31
	MOVL $0x40c00000, AX // 6
	VPBROADCASTD AX, Z30
	MOVQ CX, DX
	SHRQ $4, DX
	ANDQ $15, CX
	JMP  fwdTest
fwdLoop:
	VMOVUPS (SI), Z0
	RELU6
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ DX
fwdTest:
	TESTQ DX, DX
	JNZ  fwdLoop
	RELU6_TAIL_MASK(CX, fwdDone)
	VMOVUPS.Z (SI), K2, Z0
	RELU6
	VMOVUPS Z0, K2, (DI)
fwdDone:
	VZEROUPPER
	RET

// func relu6Backward32(x, dy, dx *float32, n int)
// dx = dy where 0 < x (predicate 0x1E, GT_OQ) and x < 6 (0x11, LT_OQ), both
// false for NaN; 0 elsewhere.
TEXT ·relu6Backward32(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VPXORD Z31, Z31, Z31
	MOVL $0x40c00000, AX // 6
	VPBROADCASTD AX, Z30
	MOVQ CX, DX
	SHRQ $4, DX
	ANDQ $15, CX
	JMP  bwdTest
bwdLoop:
	VMOVUPS (SI), Z0
	VCMPPS $0x1E, Z31, Z0, K1
	VCMPPS $0x11, Z30, Z0, K1, K1
	VMOVUPS.Z (BX), K1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	DECQ DX
bwdTest:
	TESTQ DX, DX
	JNZ  bwdLoop
	RELU6_TAIL_MASK(CX, bwdDone)
	VMOVUPS.Z (SI), K2, Z0
	VCMPPS $0x1E, Z31, Z0, K2, K1
	VCMPPS $0x11, Z30, Z0, K1, K1
	VMOVUPS.Z (BX), K1, Z1
	VMOVUPS Z1, K2, (DI)
bwdDone:
	VZEROUPPER
	RET
