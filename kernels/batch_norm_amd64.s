//go:build amd64 && !noasm

#include "textflag.h"
#include "lanes_amd64.h"

// Batch-norm row reductions over float32 with AVX-512. Blocks of 64 values
// are summed in float32, four values a lane (the terms and the products in
// float32, the products fused into the sums), and each block's 16 lane sums
// are widened and added to float64 accumulators: the widening, which bounded
// the old all-float64 loops at half the memory's speed, runs once per four
// values, and the sums keep float64 precision beyond the block (a block's
// rounding is that of a float32 sum of four terms, far below the float32
// result's). A row ends with whole 8-value steps widened one by one and one
// masked step; the lanes are folded in a fixed order.

// WIDEN_ADD adds the 16 float32 lanes of Z, widened, to the float64
// accumulators LO (lanes 0–7) and HI (8–15). Clobbers Y15 and Z15.
#define WIDEN_ADD(Z, Y, LO, HI) \
	VEXTRACTF64X4 $1, Z, Y15; \
	VCVTPS2PD Y, Z; \
	VCVTPS2PD Y15, Z15; \
	VADDPD Z, LO, LO; \
	VADDPD Z15, HI, HI

// DY_SUMS64 adds a block of 64 dy (Z16–Z19) to Σdy (Z0, Z1) and their
// products with xc = x − mean (Z8–Z11) to Σdy·xc (Z4, Z5): summed in float32
// within the block, widened once into the float64 sums. Clobbers Z12, Z15,
// Z16, Z18.
#define DY_SUMS64 \
	VMULPS Z16, Z8, Z12; \
	VFMADD231PS Z17, Z9, Z12; \
	VFMADD231PS Z18, Z10, Z12; \
	VFMADD231PS Z19, Z11, Z12; \
	VADDPS Z17, Z16, Z16; \
	VADDPS Z19, Z18, Z18; \
	VADDPS Z18, Z16, Z16; \
	WIDEN_ADD(Z16, Y16, Z0, Z1); \
	WIDEN_ADD(Z12, Y12, Z4, Z5)

// FOLD adds the 8 float64 lanes of Z into its low lane X. Clobbers Y14.
#define FOLD(Z, Y, X) \
	VEXTRACTF64X4 $1, Z, Y14; \
	VADDPD Y14, Y, Y; \
	VEXTRACTF128 $1, Y, X14; \
	VADDPD X14, X, X; \
	VPERMILPD $1, X, X14; \
	VADDSD X14, X, X

// func shiftedSums32(x *float32, n int, shift float64) (sum, sumSq float64)
// sum = Σ (x − shift), sumSq = Σ (x − shift)².
TEXT ·shiftedSums32(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSD shift+16(FP), Z31
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VMOVSD shift+16(FP), X8
	VCVTSD2SS X8, X8, X8
	VBROADCASTSS X8, Z30
	MOVQ CX, DX
	SHRQ $6, DX
	JZ   sums8
sums64Loop:
	VMOVUPS (SI), Z8
	VMOVUPS 64(SI), Z9
	VMOVUPS 128(SI), Z10
	VMOVUPS 192(SI), Z11
	VSUBPS Z30, Z8, Z8
	VSUBPS Z30, Z9, Z9
	VSUBPS Z30, Z10, Z10
	VSUBPS Z30, Z11, Z11
	VMULPS Z8, Z8, Z12
	VFMADD231PS Z9, Z9, Z12
	VFMADD231PS Z10, Z10, Z12
	VFMADD231PS Z11, Z11, Z12
	VADDPS Z9, Z8, Z8
	VADDPS Z11, Z10, Z10
	VADDPS Z10, Z8, Z8
	WIDEN_ADD(Z8, Y8, Z0, Z1)
	WIDEN_ADD(Z12, Y12, Z4, Z5)
	ADDQ $256, SI
	DECQ DX
	JNZ  sums64Loop
sums8:
	ANDQ $63, CX
	JMP  sums8Test
sums8Loop:
	VCVTPS2PD (SI), Z8
	VSUBPD Z31, Z8, Z8
	VADDPD Z8, Z0, Z0
	VFMADD231PD Z8, Z8, Z4
	ADDQ $32, SI
	SUBQ $8, CX
sums8Test:
	CMPQ CX, $8
	JGE  sums8Loop
	TESTQ CX, CX
	JZ   sumsFold
	TAIL16(CX)
	VCVTPS2PD.Z (SI), K1, Z8
	VSUBPD.Z Z31, Z8, K1, Z8
	VADDPD Z8, Z1, Z1
	VFMADD231PD Z8, Z8, Z5
sumsFold:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VADDPD Z5, Z4, Z4
	VADDPD Z7, Z6, Z6
	VADDPD Z6, Z4, Z4
	FOLD(Z0, Y0, X0)
	FOLD(Z4, Y4, X4)
	MOVSD X0, sum+24(FP)
	MOVSD X4, sumSq+32(FP)
	VZEROUPPER
	RET

// func gradientSums32(x, dy *float32, n int, mean float64) (sumDy, sumDyXc float64)
// sumDy = Σ dy, sumDyXc = Σ dy·(x − mean).
TEXT ·gradientSums32(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ n+16(FP), CX
	VBROADCASTSD mean+24(FP), Z31
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	VMOVSD mean+24(FP), X8
	VCVTSD2SS X8, X8, X8
	VBROADCASTSS X8, Z30
	MOVQ CX, DX
	SHRQ $6, DX
	JZ   grad8
grad64Loop:
	VMOVUPS (SI), Z8
	VMOVUPS 64(SI), Z9
	VMOVUPS 128(SI), Z10
	VMOVUPS 192(SI), Z11
	VMOVUPS (BX), Z16
	VMOVUPS 64(BX), Z17
	VMOVUPS 128(BX), Z18
	VMOVUPS 192(BX), Z19
	VSUBPS Z30, Z8, Z8
	VSUBPS Z30, Z9, Z9
	VSUBPS Z30, Z10, Z10
	VSUBPS Z30, Z11, Z11
	DY_SUMS64
	ADDQ $256, SI
	ADDQ $256, BX
	DECQ DX
	JNZ  grad64Loop
grad8:
	ANDQ $63, CX
	JMP  grad8Test
grad8Loop:
	VCVTPS2PD (SI), Z8
	VCVTPS2PD (BX), Z16
	VSUBPD Z31, Z8, Z8
	VADDPD Z16, Z0, Z0
	VFMADD231PD Z16, Z8, Z4
	ADDQ $32, SI
	ADDQ $32, BX
	SUBQ $8, CX
grad8Test:
	CMPQ CX, $8
	JGE  grad8Loop
	TESTQ CX, CX
	JZ   gradFold
	TAIL16(CX)
	VCVTPS2PD.Z (SI), K1, Z8
	VCVTPS2PD.Z (BX), K1, Z16
	VSUBPD Z31, Z8, Z8
	VADDPD Z16, Z1, Z1
	VFMADD231PD Z16, Z8, Z5
gradFold:
	VADDPD Z1, Z0, Z0
	VADDPD Z3, Z2, Z2
	VADDPD Z2, Z0, Z0
	VADDPD Z5, Z4, Z4
	VADDPD Z7, Z6, Z6
	VADDPD Z6, Z4, Z4
	FOLD(Z0, Y0, X0)
	FOLD(Z4, Y4, X4)
	MOVSD X0, sumDy+32(FP)
	MOVSD X4, sumDyXc+40(FP)
	VZEROUPPER
	RET

// func normalize32(x, y *float32, n int, mean, scale, shift float32)
// y = (x − mean)·scale + shift, the product and sum fused.
TEXT ·normalize32(SB), NOSPLIT, $0-36
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSS mean+24(FP), Z29
	VBROADCASTSS scale+28(FP), Z30
	VBROADCASTSS shift+32(FP), Z31
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   norm16
norm32Loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VSUBPS Z29, Z0, Z0
	VSUBPS Z29, Z1, Z1
	VFMADD213PS Z31, Z30, Z0
	VFMADD213PS Z31, Z30, Z1
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	DECQ DX
	JNZ  norm32Loop
norm16:
	ANDQ $31, CX
	CMPQ CX, $16
	JL   normTail
	VMOVUPS (SI), Z0
	VSUBPS Z29, Z0, Z0
	VFMADD213PS Z31, Z30, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
normTail:
	TESTQ CX, CX
	JZ   normDone
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z29, Z0, Z0
	VFMADD213PS Z31, Z30, Z0
	VMOVUPS Z0, K1, (DI)
normDone:
	VZEROUPPER
	RET

// func batchNormData32(x, dy, dx *float32, n int, mean, a, slope, offset float32)
// dx = a·dy − offset − slope·(x − mean).
TEXT ·batchNormData32(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS mean+32(FP), Z28
	VBROADCASTSS a+36(FP), Z29
	VBROADCASTSS slope+40(FP), Z30
	VBROADCASTSS offset+44(FP), Z31
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   data16
data32Loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS (BX), Z2
	VMOVUPS 64(BX), Z3
	VSUBPS Z28, Z0, Z0
	VSUBPS Z28, Z1, Z1
	VFMSUB213PS Z31, Z29, Z2
	VFMSUB213PS Z31, Z29, Z3
	VFNMADD231PS Z30, Z0, Z2
	VFNMADD231PS Z30, Z1, Z3
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	ADDQ $128, SI
	ADDQ $128, BX
	ADDQ $128, DI
	DECQ DX
	JNZ  data32Loop
data16:
	ANDQ $31, CX
	CMPQ CX, $16
	JL   dataTail
	VMOVUPS (SI), Z0
	VMOVUPS (BX), Z2
	VSUBPS Z28, Z0, Z0
	VFMSUB213PS Z31, Z29, Z2
	VFNMADD231PS Z30, Z0, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	SUBQ $16, CX
dataTail:
	TESTQ CX, CX
	JZ   dataDone
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (BX), K1, Z2
	VSUBPS Z28, Z0, Z0
	VFMSUB213PS Z31, Z29, Z2
	VFNMADD231PS Z30, Z0, Z2
	VMOVUPS Z2, K1, (DI)
dataDone:
	VZEROUPPER
	RET

// The batch norm + ReLU backward rows: dy is masked, lane by lane, where the
// forward output max(z, 0), z = (x − mean)·scale + shift computed by the
// same two instructions as normalize32, was not positive or NaN (the lanes of
// !(z ≤ 0), as reluBackward32), so the mask is the forward's bit for bit.

// func gradientSumsRelu32(x, dy *float32, n int, mean64 float64, mean, scale, shift float32) (sumDy, sumDyXc float64)
// gradientSums32 of the masked dy, 16 values a step in two float64 halves.
TEXT ·gradientSumsRelu32(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ n+16(FP), CX
	VBROADCASTSD mean64+24(FP), Z31
	VBROADCASTSS mean+32(FP), Z29
	VBROADCASTSS scale+36(FP), Z30
	VBROADCASTSS shift+40(FP), Z28
	VPXORD Z27, Z27, Z27
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	MOVQ CX, DX
	SHRQ $6, DX
	JZ   reluSums16
reluSums64Loop:
	VMOVUPS (SI), Z8
	VMOVUPS 64(SI), Z9
	VMOVUPS 128(SI), Z10
	VMOVUPS 192(SI), Z11
	VSUBPS Z29, Z8, Z8
	VSUBPS Z29, Z9, Z9
	VSUBPS Z29, Z10, Z10
	VSUBPS Z29, Z11, Z11
	VMOVAPS Z8, Z20
	VMOVAPS Z9, Z21
	VMOVAPS Z10, Z22
	VMOVAPS Z11, Z23
	VFMADD213PS Z28, Z30, Z20
	VFMADD213PS Z28, Z30, Z21
	VFMADD213PS Z28, Z30, Z22
	VFMADD213PS Z28, Z30, Z23
	VCMPPS $6, Z27, Z20, K2
	VCMPPS $6, Z27, Z21, K3
	VCMPPS $6, Z27, Z22, K4
	VCMPPS $6, Z27, Z23, K5
	VMOVUPS.Z (BX), K2, Z16
	VMOVUPS.Z 64(BX), K3, Z17
	VMOVUPS.Z 128(BX), K4, Z18
	VMOVUPS.Z 192(BX), K5, Z19
	DY_SUMS64
	ADDQ $256, SI
	ADDQ $256, BX
	DECQ DX
	JNZ  reluSums64Loop
reluSums16:
	MOVQ CX, DX
	ANDQ $63, CX
	SHRQ $4, CX
	XCHGQ CX, DX
	TESTQ DX, DX
	JZ   reluSumsTail
reluSums16Loop:
	VMOVUPS (SI), Z12
	VSUBPS Z29, Z12, Z12
	VFMADD213PS Z28, Z30, Z12
	VCMPPS $6, Z27, Z12, K2
	KSHIFTRW $8, K2, K3
	VCVTPS2PD.Z (BX), K2, Z16
	VCVTPS2PD.Z 32(BX), K3, Z17
	VCVTPS2PD (SI), Z8
	VCVTPS2PD 32(SI), Z9
	VSUBPD Z31, Z8, Z8
	VSUBPD Z31, Z9, Z9
	VADDPD Z16, Z0, Z0
	VADDPD Z17, Z1, Z1
	VFMADD231PD Z16, Z8, Z4
	VFMADD231PD Z17, Z9, Z5
	ADDQ $64, SI
	ADDQ $64, BX
	DECQ DX
	JNZ  reluSums16Loop
reluSumsTail:
	ANDQ $15, CX
	JZ   reluSumsFold
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z12
	VSUBPS Z29, Z12, Z12
	VFMADD213PS Z28, Z30, Z12
	VCMPPS $6, Z27, Z12, K1, K2
	KSHIFTRW $8, K2, K3
	VCVTPS2PD.Z (BX), K2, Z16
	VCVTPS2PD.Z 32(BX), K3, Z17
	VCVTPS2PD.Z (SI), K2, Z8
	VCVTPS2PD.Z 32(SI), K3, Z9
	VSUBPD.Z Z31, Z8, K2, Z8
	VSUBPD.Z Z31, Z9, K3, Z9
	VADDPD Z16, Z0, Z0
	VADDPD Z17, Z1, Z1
	VFMADD231PD Z16, Z8, Z4
	VFMADD231PD Z17, Z9, Z5
reluSumsFold:
	VADDPD Z1, Z0, Z0
	VADDPD Z5, Z4, Z4
	FOLD(Z0, Y0, X0)
	FOLD(Z4, Y4, X4)
	MOVSD X0, sumDy+48(FP)
	MOVSD X4, sumDyXc+56(FP)
	VZEROUPPER
	RET

// func batchNormDataRelu32(x, dy, dx *float32, n int, mean, a, slope, offset, scale, shift float32)
// batchNormData32 of the masked dy.
TEXT ·batchNormDataRelu32(SB), NOSPLIT, $0-56
	MOVQ x+0(FP), SI
	MOVQ dy+8(FP), BX
	MOVQ dx+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS mean+32(FP), Z28
	VBROADCASTSS a+36(FP), Z29
	VBROADCASTSS slope+40(FP), Z30
	VBROADCASTSS offset+44(FP), Z31
	VBROADCASTSS scale+48(FP), Z26
	VBROADCASTSS shift+52(FP), Z27
	VPXORD Z25, Z25, Z25
	MOVQ CX, DX
	SHRQ $4, DX
	JZ   reluDataTail
reluData16Loop:
	VMOVUPS (SI), Z0
	VSUBPS Z28, Z0, Z0
	VMOVAPS Z0, Z1
	VFMADD213PS Z27, Z26, Z1
	VCMPPS $6, Z25, Z1, K2
	VMOVUPS.Z (BX), K2, Z2
	VFMSUB213PS Z31, Z29, Z2
	VFNMADD231PS Z30, Z0, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	DECQ DX
	JNZ  reluData16Loop
reluDataTail:
	ANDQ $15, CX
	JZ   reluDataDone
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z28, Z0, Z0
	VMOVAPS Z0, Z1
	VFMADD213PS Z27, Z26, Z1
	VCMPPS $6, Z25, Z1, K1, K2
	VMOVUPS.Z (BX), K2, Z2
	VFMSUB213PS Z31, Z29, Z2
	VFNMADD231PS Z30, Z0, Z2
	VMOVUPS Z2, K1, (DI)
reluDataDone:
	VZEROUPPER
	RET

// NORMALIZE_PAIR loads the next 32 values of x (SI) into Z0 and Z1 and
// normalizes them: (x − mean)·scale + shift, the product and sum fused.
#define NORMALIZE_PAIR \
	VMOVUPS (SI), Z0; \
	VMOVUPS 64(SI), Z1; \
	VSUBPS Z29, Z0, Z0; \
	VSUBPS Z29, Z1, Z1; \
	VFMADD213PS Z31, Z30, Z0; \
	VFMADD213PS Z31, Z30, Z1

// RELU_STORE_PAIR clamps Z0 and Z1 at zero (Z28) and stores them at DI with
// STORE (VMOVUPS, or VMOVNTPS to stream).
#define RELU_STORE_PAIR(STORE) \
	VMAXPS Z0, Z28, Z0; \
	VMAXPS Z1, Z28, Z1; \
	STORE Z0, (DI); \
	STORE Z1, 64(DI)

// NORMALIZE_ADD_RELU_LOOP is normalizeAddRelu32's loop over DX blocks of 32
// values, storing with STORE.
#define NORMALIZE_ADD_RELU_LOOP(STORE, LOOP) \
LOOP: \
	NORMALIZE_PAIR; \
	VADDPS (BX), Z0, Z0; \
	VADDPS 64(BX), Z1, Z1; \
	RELU_STORE_PAIR(STORE); \
	ADDQ $128, SI; \
	ADDQ $128, BX; \
	ADDQ $128, DI; \
	DECQ DX; \
	JNZ  LOOP

// NORMALIZE_RELU_LOOP is NORMALIZE_ADD_RELU_LOOP without r.
#define NORMALIZE_RELU_LOOP(STORE, LOOP) \
LOOP: \
	NORMALIZE_PAIR; \
	RELU_STORE_PAIR(STORE); \
	ADDQ $128, SI; \
	ADDQ $128, DI; \
	DECQ DX; \
	JNZ  LOOP

// func normalizeAddRelu32(x, r, y *float32, n int, mean, scale, shift float32, stream bool)
// y = max((x − mean)·scale + shift + r, 0), NaN staying NaN: VMAXPS returns
// its second source, the sum, when either is NaN. A nil r adds nothing (y
// is then normalize32's output clamped as reluForward32 clamps it). With
// stream, y is 64-byte aligned and its whole vectors go to memory by
// non-temporal stores (a storeFence must follow).
TEXT ·normalizeAddRelu32(SB), NOSPLIT, $0-45
	MOVQ x+0(FP), SI
	MOVQ r+8(FP), BX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS mean+32(FP), Z29
	VBROADCASTSS scale+36(FP), Z30
	VBROADCASTSS shift+40(FP), Z31
	VPXORD Z28, Z28, Z28
	MOVQ CX, DX
	SHRQ $5, DX
	JZ   addRelu16
	MOVB stream+44(FP), AX
	TESTQ BX, BX
	JZ   relu32
	TESTB AX, AX
	JNZ  addReluStream
	NORMALIZE_ADD_RELU_LOOP(VMOVUPS, addRelu32Loop)
	JMP  addRelu16
addReluStream:
	NORMALIZE_ADD_RELU_LOOP(VMOVNTPS, addReluStreamLoop)
	JMP  addRelu16
relu32:
	TESTB AX, AX
	JNZ  reluStream
	NORMALIZE_RELU_LOOP(VMOVUPS, relu32Loop)
	JMP  addRelu16
reluStream:
	NORMALIZE_RELU_LOOP(VMOVNTPS, reluStreamLoop)
addRelu16:
	ANDQ $31, CX
	CMPQ CX, $16
	JL   addReluTail
	VMOVUPS (SI), Z0
	VSUBPS Z29, Z0, Z0
	VFMADD213PS Z31, Z30, Z0
	TESTQ BX, BX
	JZ   added16
	VADDPS (BX), Z0, Z0
	ADDQ $64, BX
added16:
	VMAXPS Z0, Z28, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
addReluTail:
	TESTQ CX, CX
	JZ   addReluDone
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z0
	VSUBPS Z29, Z0, Z0
	VFMADD213PS Z31, Z30, Z0
	TESTQ BX, BX
	JZ   addedTail
	VMOVUPS.Z (BX), K1, Z1
	VADDPS Z1, Z0, Z0
addedTail:
	VMAXPS Z0, Z28, Z0
	VMOVUPS Z0, K1, (DI)
addReluDone:
	VZEROUPPER
	RET

// NORMALIZE2_ADD_RELU_LOOP is normalize2AddRelu32's loop over DX blocks of
// 16 values, storing with STORE (VMOVUPS, or VMOVNTPS to stream).
#define NORMALIZE2_ADD_RELU_LOOP(STORE, LOOP) \
LOOP: \
	VMOVUPS (SI), Z0; \
	VMOVUPS (BX), Z1; \
	VSUBPS Z29, Z0, Z0; \
	VSUBPS Z25, Z1, Z1; \
	VFMADD213PS Z31, Z30, Z0; \
	VFMADD213PS Z27, Z26, Z1; \
	VADDPS Z1, Z0, Z0; \
	VMAXPS Z0, Z28, Z0; \
	STORE Z0, (DI); \
	ADDQ $64, SI; \
	ADDQ $64, BX; \
	ADDQ $64, DI; \
	DECQ DX; \
	JNZ  LOOP

// func normalize2AddRelu32(x, r, y *float32, n int, mean, scale, shift, meanR, scaleR, shiftR float32, stream bool)
// y = max((x − mean)·scale + shift + ((r − meanR)·scaleR + shiftR), 0), NaN
// staying NaN as in normalizeAddRelu32, streaming as it does.
TEXT ·normalize2AddRelu32(SB), NOSPLIT, $0-57
	MOVQ x+0(FP), SI
	MOVQ r+8(FP), BX
	MOVQ y+16(FP), DI
	MOVQ n+24(FP), CX
	VBROADCASTSS mean+32(FP), Z29
	VBROADCASTSS scale+36(FP), Z30
	VBROADCASTSS shift+40(FP), Z31
	VBROADCASTSS meanR+44(FP), Z25
	VBROADCASTSS scaleR+48(FP), Z26
	VBROADCASTSS shiftR+52(FP), Z27
	VPXORD Z28, Z28, Z28
	MOVQ CX, DX
	SHRQ $4, DX
	JZ   add2Tail
	CMPB stream+56(FP), $0
	JNE  add2Stream
	NORMALIZE2_ADD_RELU_LOOP(VMOVUPS, add2Loop)
	JMP  add2Tail
add2Stream:
	NORMALIZE2_ADD_RELU_LOOP(VMOVNTPS, add2StreamLoop)
add2Tail:
	ANDQ $15, CX
	JZ   add2Done
	TAIL16(CX)
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (BX), K1, Z1
	VSUBPS Z29, Z0, Z0
	VSUBPS Z25, Z1, Z1
	VFMADD213PS Z31, Z30, Z0
	VFMADD213PS Z27, Z26, Z1
	VADDPS Z1, Z0, Z0
	VMAXPS Z0, Z28, Z0
	VMOVUPS Z0, K1, (DI)
add2Done:
	VZEROUPPER
	RET


// func storeFence()
// SFENCE: the non-temporal stores before it are visible to other cores
// once a synchronizing operation after it is.
TEXT ·storeFence(SB), NOSPLIT, $0-0
	SFENCE
	RET
