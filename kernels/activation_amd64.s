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

// Sigmoid and tanh over float32 with AVX-512, 8 values per step widened to
// float64 (so that the result rounds as math.Exp's would), the last step
// masked. e^t (t ≤ 0) is expNonPositive's: t clamped at −110, t = k·ln 2 + r,
// e^r by its Taylor polynomial to r⁹, times 2^k by VSCALEFPD.

DATA expConst<>+0(SB)/8, $0x7fffffffffffffff
DATA expConst<>+8(SB)/8, $-110.0
DATA expConst<>+16(SB)/8, $1.44269504088896338700e+00
DATA expConst<>+24(SB)/8, $6.93147180369123816490e-01
DATA expConst<>+32(SB)/8, $1.90821492927058770002e-10
DATA expConst<>+40(SB)/8, $2.7557319223985890653e-06
DATA expConst<>+48(SB)/8, $2.4801587301587301587e-05
DATA expConst<>+56(SB)/8, $1.9841269841269841270e-04
DATA expConst<>+64(SB)/8, $1.3888888888888888889e-03
DATA expConst<>+72(SB)/8, $8.3333333333333333333e-03
DATA expConst<>+80(SB)/8, $4.1666666666666666667e-02
DATA expConst<>+88(SB)/8, $1.6666666666666666667e-01
DATA expConst<>+96(SB)/8, $0.5
DATA expConst<>+104(SB)/8, $1.0
GLOBL expConst<>(SB), RODATA|NOPTR, $112

// EXP_SETUP broadcasts the constants: Z16 |·| mask, Z17 −110, Z18 log2 e,
// Z19, Z20 ln 2 high and low, Z21-Z28 1/9! … 1/2, Z29 1.
#define EXP_SETUP \
	VPBROADCASTQ expConst<>+0(SB), Z16; \
	VBROADCASTSD expConst<>+8(SB), Z17; \
	VBROADCASTSD expConst<>+16(SB), Z18; \
	VBROADCASTSD expConst<>+24(SB), Z19; \
	VBROADCASTSD expConst<>+32(SB), Z20; \
	VBROADCASTSD expConst<>+40(SB), Z21; \
	VBROADCASTSD expConst<>+48(SB), Z22; \
	VBROADCASTSD expConst<>+56(SB), Z23; \
	VBROADCASTSD expConst<>+64(SB), Z24; \
	VBROADCASTSD expConst<>+72(SB), Z25; \
	VBROADCASTSD expConst<>+80(SB), Z26; \
	VBROADCASTSD expConst<>+88(SB), Z27; \
	VBROADCASTSD expConst<>+96(SB), Z28; \
	VBROADCASTSD expConst<>+104(SB), Z29

// EXP sets Z2 = e^ZT for ZT ≤ 0 (NaN stays NaN: VMAXPD returns its second
// source then). Clobbers ZT, Z3.
#define EXP(ZT) \
	VMAXPD ZT, Z17, ZT; \
	VMULPD Z18, ZT, Z3; \
	VRNDSCALEPD $0, Z3, Z3; \
	VFNMADD231PD Z19, Z3, ZT; \
	VFNMADD231PD Z20, Z3, ZT; \
	VMOVAPD Z21, Z2; \
	VFMADD213PD Z22, ZT, Z2; \
	VFMADD213PD Z23, ZT, Z2; \
	VFMADD213PD Z24, ZT, Z2; \
	VFMADD213PD Z25, ZT, Z2; \
	VFMADD213PD Z26, ZT, Z2; \
	VFMADD213PD Z27, ZT, Z2; \
	VFMADD213PD Z28, ZT, Z2; \
	VFMADD213PD Z29, ZT, Z2; \
	VFMADD213PD Z29, ZT, Z2; \
	VSCALEFPD Z3, Z2, Z2

// SIGMOID8 sets Z5 = σ(Z0): e = e^−|z|, 1/(1 + e), times e where z < 0.
#define SIGMOID8 \
	VPANDQ Z16, Z0, Z1; \
	VMULPD Z30, Z1, Z1; \
	EXP(Z1); \
	VADDPD Z29, Z2, Z4; \
	VDIVPD Z4, Z29, Z5; \
	VCMPPD $1, Z31, Z0, K2; \
	VMULPD Z2, Z5, K2, Z5

// TANH8 sets Z5 = tanh(Z0): (1 − e)/(1 + e) with e = e^−2|z|, |z| itself
// below 2⁻¹², z's sign put back.
#define TANH8 \
	VPANDQ Z16, Z0, Z1; \
	VMULPD Z30, Z1, Z7; \
	EXP(Z7); \
	VADDPD Z29, Z2, Z4; \
	VSUBPD Z2, Z29, Z5; \
	VDIVPD Z4, Z5, Z5; \
	VCMPPD $1, Z31, Z1, K2; \
	VMOVAPD Z1, K2, Z5; \
	VPANDNQ Z0, Z16, Z6; \
	VPORQ Z6, Z5, Z5

// ACTIVATION_LOOP runs BODY (Z0 → Z5) over n values at SI into DI.
#define ACTIVATION_LOOP(BODY, loop, tail, done) \
	MOVQ CX, DX; \
	SHRQ $3, DX; \
	ANDQ $7, CX; \
	TESTQ DX, DX; \
	JZ   tail; \
loop: \
	VCVTPS2PD (SI), Z0; \
	BODY; \
	VCVTPD2PS Z5, Y6; \
	VMOVUPS Y6, (DI); \
	ADDQ $32, SI; \
	ADDQ $32, DI; \
	DECQ DX; \
	JNZ  loop; \
tail: \
	TAIL_MASK(CX, done); \
	KMOVW K2, K1; \
	VCVTPS2PD.Z (SI), K1, Z0; \
	BODY; \
	VCVTPD2PS Z5, Y6; \
	VMOVUPS Y6, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

DATA activationConst<>+0(SB)/8, $-1.0
DATA activationConst<>+8(SB)/8, $-2.0
DATA activationConst<>+16(SB)/8, $0x3f30000000000000
GLOBL activationConst<>(SB), RODATA|NOPTR, $24

// func sigmoidForward32(x, y *float32, n int)
TEXT ·sigmoidForward32(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	EXP_SETUP
	VBROADCASTSD activationConst<>+0(SB), Z30
	VPXORQ Z31, Z31, Z31
	ACTIVATION_LOOP(SIGMOID8, sigmoidLoop, sigmoidTail, sigmoidDone)

// func tanhForward32(x, y *float32, n int)
TEXT ·tanhForward32(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	EXP_SETUP
	VBROADCASTSD activationConst<>+8(SB), Z30
	VPBROADCASTQ activationConst<>+16(SB), Z31
	ACTIVATION_LOOP(TANH8, tanhLoop, tanhTail, tanhDone)

// func leakyReluBackward32(slope float32, x, dy, dx *float32, n int)
// dx = dy where x > 0, slope·dy elsewhere (predicate 0x1A, NGT_UQ: x ≤ 0 or NaN).
TEXT ·leakyReluBackward32(SB), NOSPLIT, $0-40
	VBROADCASTSS slope+0(FP), Z30
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), BX
	MOVQ dx+24(FP), DI
	MOVQ n+32(FP), CX
	VPXORD Z31, Z31, Z31
	MOVQ CX, DX
	SHRQ $4, DX
	ANDQ $15, CX
	JMP  leakyTest
leakyLoop:
	VMOVUPS (SI), Z0
	VMOVUPS (BX), Z1
	VCMPPS $0x1A, Z31, Z0, K2
	VMULPS Z30, Z1, K2, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	DECQ DX
leakyTest:
	TESTQ DX, DX
	JNZ  leakyLoop
	TAIL_MASK(CX, leakyDone)
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (BX), K2, Z1
	VCMPPS $0x1A, Z31, Z0, K2, K3
	VMULPS Z30, Z1, K3, Z1
	VMOVUPS Z1, K2, (DI)
leakyDone:
	VZEROUPPER
	RET
