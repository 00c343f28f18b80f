//go:build amd64 && !noasm

#include "textflag.h"

// One plane of a depthwise convolution in float32 with AVX-512, as the Go
// loops of conv_depthwise.go compute it. For each output row, each 16-lane
// vector of it starts from the bias and adds, tap row after tap row and tap
// after tap, the product of the tap with 16 source elements; lanes a tap does
// not reach are masked off the add, so the sums are the Go loops' own, and
// masked loads never touch memory outside the source. Tables built in Go say
// where each tap row starts (rows) and, per vector and tap, where the source
// elements lie and which lanes count (cols, see depthwiseLanes). The source
// elements are contiguous (mode 0), the even elements of 32 (mode 1: stride
// 2), or 8 elements each repeated twice (mode 2: the data gradient of a
// stride 2).

// Lane indices of the even elements of two vectors, and of each of eight
// elements twice.
DATA depthwiseEvens<>+0(SB)/4, $0
DATA depthwiseEvens<>+4(SB)/4, $2
DATA depthwiseEvens<>+8(SB)/4, $4
DATA depthwiseEvens<>+12(SB)/4, $6
DATA depthwiseEvens<>+16(SB)/4, $8
DATA depthwiseEvens<>+20(SB)/4, $10
DATA depthwiseEvens<>+24(SB)/4, $12
DATA depthwiseEvens<>+28(SB)/4, $14
DATA depthwiseEvens<>+32(SB)/4, $16
DATA depthwiseEvens<>+36(SB)/4, $18
DATA depthwiseEvens<>+40(SB)/4, $20
DATA depthwiseEvens<>+44(SB)/4, $22
DATA depthwiseEvens<>+48(SB)/4, $24
DATA depthwiseEvens<>+52(SB)/4, $26
DATA depthwiseEvens<>+56(SB)/4, $28
DATA depthwiseEvens<>+60(SB)/4, $30
GLOBL depthwiseEvens<>(SB), RODATA, $64

DATA depthwiseTwice<>+0(SB)/4, $0
DATA depthwiseTwice<>+4(SB)/4, $0
DATA depthwiseTwice<>+8(SB)/4, $1
DATA depthwiseTwice<>+12(SB)/4, $1
DATA depthwiseTwice<>+16(SB)/4, $2
DATA depthwiseTwice<>+20(SB)/4, $2
DATA depthwiseTwice<>+24(SB)/4, $3
DATA depthwiseTwice<>+28(SB)/4, $3
DATA depthwiseTwice<>+32(SB)/4, $4
DATA depthwiseTwice<>+36(SB)/4, $4
DATA depthwiseTwice<>+40(SB)/4, $5
DATA depthwiseTwice<>+44(SB)/4, $5
DATA depthwiseTwice<>+48(SB)/4, $6
DATA depthwiseTwice<>+52(SB)/4, $6
DATA depthwiseTwice<>+56(SB)/4, $7
DATA depthwiseTwice<>+60(SB)/4, $7
GLOBL depthwiseTwice<>(SB), RODATA, $64

// func depthwisePlane32(src *float32, rows *int, taps *float32, dst *float32, outRows, outRowBytes, tapRows, tapCols int, bias float32, cols *depthwiseLanes, vectors, mode int)
//
// rows holds tapRows byte offsets from src per output row (−1: the tap row
// lies outside); taps holds tapRows·tapCols taps; cols holds, per vector, its
// byte offset in the output row and store mask, then one entry per tap column.
TEXT ·depthwisePlane32(SB), NOSPLIT, $0-96
	VMOVUPS depthwiseEvens<>(SB), Z28
	VMOVUPS depthwiseTwice<>(SB), Z27
	VBROADCASTSS bias+64(FP), Z29
	MOVQ dst+24(FP), DI
	MOVQ rows+8(FP), R9
	MOVQ outRows+32(FP), R8

rowLoop:
	MOVQ cols+72(FP), R10
	MOVQ vectors+80(FP), R11

vectorLoop:
	VMOVAPS Z29, Z0
	MOVQ R9, R12
	MOVQ tapRows+48(FP), R13
	MOVQ taps+16(FP), BX

tapRowLoop:
	MOVQ (R12), SI
	TESTQ SI, SI
	JS   nextTapRow
	ADDQ src+0(FP), SI
	LEAQ 16(R10), DX
	XORQ CX, CX
	MOVQ mode+88(FP), AX
	CMPQ AX, $1
	JEQ  evensLoop
	JGT  twiceLoop

contiguousLoop:
	VBROADCASTSS (BX)(CX*4), Z1
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	VMULPS.Z (SI)(AX*1), Z1, K1, Z2
	VADDPS Z2, Z0, K1, Z0
	ADDQ $16, DX
	INCQ CX
	CMPQ CX, tapCols+56(FP)
	JLT  contiguousLoop
	JMP  nextTapRow

evensLoop:
	VBROADCASTSS (BX)(CX*4), Z1
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	KMOVW 10(DX), K2
	KMOVW 12(DX), K3
	VMOVUPS.Z (SI)(AX*1), K2, Z2
	VMOVUPS.Z 64(SI)(AX*1), K3, Z3
	VPERMT2PS Z3, Z28, Z2
	VMULPS Z1, Z2, Z2
	VADDPS Z2, Z0, K1, Z0
	ADDQ $16, DX
	INCQ CX
	CMPQ CX, tapCols+56(FP)
	JLT  evensLoop
	JMP  nextTapRow

twiceLoop:
	VBROADCASTSS (BX)(CX*4), Z1
	MOVQ (DX), AX
	KMOVW 8(DX), K1
	KMOVW 10(DX), K2
	VMOVUPS.Z (SI)(AX*1), K2, Z2
	VPERMPS Z2, Z27, Z2
	VMULPS Z1, Z2, Z2
	VADDPS Z2, Z0, K1, Z0
	ADDQ $16, DX
	INCQ CX
	CMPQ CX, tapCols+56(FP)
	JLT  twiceLoop

nextTapRow:
	MOVQ tapCols+56(FP), AX
	LEAQ (BX)(AX*4), BX
	ADDQ $8, R12
	DECQ R13
	JNZ  tapRowLoop

	MOVQ (R10), AX
	KMOVW 8(R10), K1
	VMOVUPS Z0, K1, (DI)(AX*1)
	MOVQ tapCols+56(FP), AX
	INCQ AX
	SHLQ $4, AX
	ADDQ AX, R10
	DECQ R11
	JNZ  vectorLoop

	ADDQ outRowBytes+40(FP), DI
	MOVQ tapRows+48(FP), AX
	LEAQ (R9)(AX*8), R9
	DECQ R8
	JNZ  rowLoop
	VZEROUPPER
	RET

// func depthwiseFilterPlane32(src *float32, rows *int, dy *float32, outRows, outRowBytes, tapRows, tapCols int, cols *depthwiseLanes, vectors, vectorBytes, mode int, sums *float64)
//
// The filter gradient's share of one plane: with the forward's tables, each
// tap t adds dy·x in float64 to sums[16t + lane] for the output lanes it
// reaches, output row after output row and vector after vector. The products
// of two float32 are exact in float64, so the fused multiply-add rounds as the
// Go loop's multiply and add do; the lanes a tap does not reach load dy = x =
// 0 and add +0, which changes no sum (sums start at +0 and never become −0).
TEXT ·depthwiseFilterPlane32(SB), NOSPLIT, $0-96
	VMOVUPS depthwiseEvens<>(SB), Z28
	MOVQ sums+88(FP), BX
	XORQ R12, R12

filterTapRowLoop:
	XORQ R11, R11

filterTapLoop:
	VMOVUPD (BX), Z0
	VMOVUPD 64(BX), Z1
	LEAQ 1(R11), R10
	SHLQ $4, R10
	MOVQ rows+8(FP), R9
	LEAQ (R9)(R12*8), R9
	MOVQ dy+16(FP), DI
	MOVQ outRows+24(FP), R8

filterRowLoop:
	MOVQ (R9), SI
	TESTQ SI, SI
	JS   filterNextRow
	ADDQ src+0(FP), SI
	MOVQ cols+56(FP), DX
	MOVQ vectors+64(FP), CX
	CMPQ mode+80(FP), $0
	JNE  filterEvensLoop

filterContiguousLoop:
	MOVQ (DX), AX
	MOVQ (DX)(R10*1), R13
	KMOVW 8(DX)(R10*1), K1
	VMOVUPS.Z (DI)(AX*1), K1, Z2
	VMOVUPS.Z (SI)(R13*1), K1, Z3
	VCVTPS2PD Y2, Z5
	VEXTRACTF64X4 $1, Z2, Y6
	VCVTPS2PD Y6, Z6
	VCVTPS2PD Y3, Z7
	VEXTRACTF64X4 $1, Z3, Y8
	VCVTPS2PD Y8, Z8
	VFMADD231PD Z7, Z5, Z0
	VFMADD231PD Z8, Z6, Z1
	ADDQ vectorBytes+72(FP), DX
	DECQ CX
	JNZ  filterContiguousLoop
	JMP  filterNextRow

filterEvensLoop:
	MOVQ (DX), AX
	MOVQ (DX)(R10*1), R13
	KMOVW 8(DX)(R10*1), K1
	KMOVW 10(DX)(R10*1), K3
	KMOVW 12(DX)(R10*1), K4
	VMOVUPS.Z (DI)(AX*1), K1, Z2
	VMOVUPS.Z (SI)(R13*1), K3, Z3
	VMOVUPS.Z 64(SI)(R13*1), K4, Z4
	VPERMT2PS Z4, Z28, Z3
	VCVTPS2PD Y2, Z5
	VEXTRACTF64X4 $1, Z2, Y6
	VCVTPS2PD Y6, Z6
	VCVTPS2PD Y3, Z7
	VEXTRACTF64X4 $1, Z3, Y8
	VCVTPS2PD Y8, Z8
	VFMADD231PD Z7, Z5, Z0
	VFMADD231PD Z8, Z6, Z1
	ADDQ vectorBytes+72(FP), DX
	DECQ CX
	JNZ  filterEvensLoop

filterNextRow:
	ADDQ outRowBytes+32(FP), DI
	MOVQ tapRows+40(FP), AX
	LEAQ (R9)(AX*8), R9
	DECQ R8
	JNZ  filterRowLoop

	VMOVUPD Z0, (BX)
	VMOVUPD Z1, 64(BX)
	ADDQ $128, BX
	INCQ R11
	CMPQ R11, tapCols+48(FP)
	JLT  filterTapLoop
	INCQ R12
	CMPQ R12, tapRows+40(FP)
	JLT  filterTapRowLoop
	VZEROUPPER
	RET

// The filter gradient of a 3×3 depthwise convolution with width padding 1
// (and no width dilation), stride 1 or 2 across the width: the lane sums of
// depthwiseFilterPlane32, but with all nine taps' sums in registers (Z0–Z17:
// tap r·3 + s in Z(6r + 2s) for lanes 0–7 and Z(6r + 2s + 1) for lanes 8–15),
// each input row vector loaded and widened to float64 once for its three taps,
// and dy widened once per output row into dy64. The three taps of an output
// vector need x[j−1], x[j], x[j+1] (stride 1) or x[2j−1], x[2j], x[2j+1]
// (stride 2); the shifted vectors come from neighbouring ones with VALIGNQ.
// Lanes a tap does not reach are masked off the adds as in the Go loop.

DATA depthwiseOdds<>+0(SB)/4, $1
DATA depthwiseOdds<>+4(SB)/4, $3
DATA depthwiseOdds<>+8(SB)/4, $5
DATA depthwiseOdds<>+12(SB)/4, $7
DATA depthwiseOdds<>+16(SB)/4, $9
DATA depthwiseOdds<>+20(SB)/4, $11
DATA depthwiseOdds<>+24(SB)/4, $13
DATA depthwiseOdds<>+28(SB)/4, $15
DATA depthwiseOdds<>+32(SB)/4, $17
DATA depthwiseOdds<>+36(SB)/4, $19
DATA depthwiseOdds<>+40(SB)/4, $21
DATA depthwiseOdds<>+44(SB)/4, $23
DATA depthwiseOdds<>+48(SB)/4, $25
DATA depthwiseOdds<>+52(SB)/4, $27
DATA depthwiseOdds<>+56(SB)/4, $29
DATA depthwiseOdds<>+60(SB)/4, $31
GLOBL depthwiseOdds<>(SB), RODATA, $64

// WIDEN(Y, Z, LO, HI) widens the float32 lanes of Z (Y its low half) into
// LO (lanes 0–7) and HI (lanes 8–15), with Z26's low half as scratch.
#define WIDEN(Y, Z, LO, HI) \
	VCVTPS2PD Y, LO; \
	VEXTRACTF64X4 $1, Z, Y26; \
	VCVTPS2PD Y26, HI

// TAP_MASKS loads the add masks of the vector's taps at DX: s0 in K1 (lanes
// 0–7) and K2 (8–15), s1 in K3 and K4, s2 in K5 and K6.
#define TAP_MASKS \
	KMOVW 24(DX), K1; \
	KSHIFTRW $8, K1, K2; \
	KMOVW 40(DX), K3; \
	KSHIFTRW $8, K3, K4; \
	KMOVW 56(DX), K5; \
	KSHIFTRW $8, K5, K6

// STRIDE1 adds one vector's products for a tap row whose sums are in A0L…A2H.
// On entry Z20, Z21 hold x[j0 … j0+15] widened and Z22 the widened
// x[j0−8 … j0−1]; it loads x[j0+16 … j0+31] from the next vector's s1 entry,
// and leaves the registers shifted by one vector.
#define STRIDE1(A0L, A0H, A1L, A1H, A2L, A2H) \
	MOVQ 96(DX), AX; \
	KMOVW 104(DX), K7; \
	VMOVUPS.Z (SI)(AX*1), K7, Z27; \
	WIDEN(Y27, Z27, Z23, Z24); \
	VMOVUPD (BX), Z18; \
	VMOVUPD 64(BX), Z19; \
	TAP_MASKS; \
	VFMADD231PD Z20, Z18, K3, A1L; \
	VFMADD231PD Z21, Z19, K4, A1H; \
	VALIGNQ $7, Z22, Z20, Z25; \
	VALIGNQ $7, Z20, Z21, Z26; \
	VFMADD231PD Z25, Z18, K1, A0L; \
	VFMADD231PD Z26, Z19, K2, A0H; \
	VALIGNQ $1, Z20, Z21, Z25; \
	VALIGNQ $1, Z21, Z23, Z26; \
	VFMADD231PD Z25, Z18, K5, A2L; \
	VFMADD231PD Z26, Z19, K6, A2H; \
	VMOVAPD Z21, Z22; \
	VMOVAPD Z23, Z20; \
	VMOVAPD Z24, Z21

// STRIDE2 is STRIDE1 for stride 2: x[2j0 … 2j0+31] splits into the evens
// x[2j] (tap s1) and the odds x[2j+1] (tap s2); shifted by a lane, with Z22
// the previous vector's widened odds 8–15, the odds give x[2j−1] (tap s0).
#define STRIDE2(A0L, A0H, A1L, A1H, A2L, A2H) \
	MOVQ 32(DX), AX; \
	KMOVW 42(DX), K1; \
	KMOVW 44(DX), K2; \
	VMOVUPS.Z (SI)(AX*1), K1, Z25; \
	VMOVUPS.Z 64(SI)(AX*1), K2, Z30; \
	VMOVAPS Z25, Z27; \
	VPERMT2PS Z30, Z28, Z27; \
	VPERMT2PS Z30, Z29, Z25; \
	WIDEN(Y27, Z27, Z20, Z21); \
	WIDEN(Y25, Z25, Z23, Z24); \
	VMOVUPD (BX), Z18; \
	VMOVUPD 64(BX), Z19; \
	TAP_MASKS; \
	VFMADD231PD Z20, Z18, K3, A1L; \
	VFMADD231PD Z21, Z19, K4, A1H; \
	VFMADD231PD Z23, Z18, K5, A2L; \
	VFMADD231PD Z24, Z19, K6, A2H; \
	VALIGNQ $7, Z22, Z23, Z30; \
	VALIGNQ $7, Z23, Z24, Z31; \
	VFMADD231PD Z30, Z18, K1, A0L; \
	VFMADD231PD Z31, Z19, K2, A0H; \
	VMOVAPD Z24, Z22

// ROW_START points SI at the input row of the tap row at byte OFF of the row
// table (jumping to skip when it lies
// outside), DX at the lane table and BX at dy64, CX counts the vectors; for
// stride 1 it widens the vector's own x into Z20, Z21.
#define ROW_START(OFF, skip) \
	MOVQ OFF(R9), SI; \
	TESTQ SI, SI; \
	JS   skip; \
	ADDQ src+0(FP), SI; \
	MOVQ cols+40(FP), DX; \
	MOVQ dy64+64(FP), BX; \
	MOVQ vectors+48(FP), CX; \
	VPXORQ Z22, Z22, Z22; \
	MOVQ 32(DX), AX; \
	KMOVW 40(DX), K7; \
	VMOVUPS.Z (SI)(AX*1), K7, Z27; \
	WIDEN(Y27, Z27, Z20, Z21)

#define NEXT_VECTOR \
	ADDQ $64, DX; \
	ADDQ $128, BX; \
	DECQ CX

// func depthwiseFilter3x3Plane32(src *float32, rows *int, dy *float32, outRows, outRowBytes int, cols *depthwiseLanes, vectors, mode int, dy64, sums *float64)
TEXT ·depthwiseFilter3x3Plane32(SB), NOSPLIT, $0-80
	VMOVUPS depthwiseEvens<>(SB), Z28
	VMOVUPS depthwiseOdds<>(SB), Z29
	MOVQ sums+72(FP), AX
	VMOVUPD 0(AX), Z0
	VMOVUPD 64(AX), Z1
	VMOVUPD 128(AX), Z2
	VMOVUPD 192(AX), Z3
	VMOVUPD 256(AX), Z4
	VMOVUPD 320(AX), Z5
	VMOVUPD 384(AX), Z6
	VMOVUPD 448(AX), Z7
	VMOVUPD 512(AX), Z8
	VMOVUPD 576(AX), Z9
	VMOVUPD 640(AX), Z10
	VMOVUPD 704(AX), Z11
	VMOVUPD 768(AX), Z12
	VMOVUPD 832(AX), Z13
	VMOVUPD 896(AX), Z14
	VMOVUPD 960(AX), Z15
	VMOVUPD 1024(AX), Z16
	VMOVUPD 1088(AX), Z17
	MOVQ rows+8(FP), R9
	MOVQ dy+16(FP), DI
	MOVQ outRows+24(FP), R8

rowLoop:
	// dy64 = this output row of dy, widened (zero past the row).
	MOVQ cols+40(FP), DX
	MOVQ dy64+64(FP), BX
	MOVQ vectors+48(FP), CX
widenLoop:
	MOVQ (DX), AX
	KMOVW 8(DX), K7
	VMOVUPS.Z (DI)(AX*1), K7, Z27
	WIDEN(Y27, Z27, Z18, Z19)
	VMOVUPD Z18, (BX)
	VMOVUPD Z19, 64(BX)
	NEXT_VECTOR
	JNZ  widenLoop

	CMPQ mode+56(FP), $0
	JNE  stride2

	ROW_START(0, s1Row1)
s1Row0Loop:
	STRIDE1(Z0, Z1, Z2, Z3, Z4, Z5)
	NEXT_VECTOR
	JNZ  s1Row0Loop
s1Row1:
	ROW_START(8, s1Row2)
s1Row1Loop:
	STRIDE1(Z6, Z7, Z8, Z9, Z10, Z11)
	NEXT_VECTOR
	JNZ  s1Row1Loop
s1Row2:
	ROW_START(16, nextRow)
s1Row2Loop:
	STRIDE1(Z12, Z13, Z14, Z15, Z16, Z17)
	NEXT_VECTOR
	JNZ  s1Row2Loop
	JMP  nextRow

stride2:
	ROW_START(0, s2Row1)
s2Row0Loop:
	STRIDE2(Z0, Z1, Z2, Z3, Z4, Z5)
	NEXT_VECTOR
	JNZ  s2Row0Loop
s2Row1:
	ROW_START(8, s2Row2)
s2Row1Loop:
	STRIDE2(Z6, Z7, Z8, Z9, Z10, Z11)
	NEXT_VECTOR
	JNZ  s2Row1Loop
s2Row2:
	ROW_START(16, nextRow)
s2Row2Loop:
	STRIDE2(Z12, Z13, Z14, Z15, Z16, Z17)
	NEXT_VECTOR
	JNZ  s2Row2Loop

nextRow:
	ADDQ outRowBytes+32(FP), DI
	ADDQ $24, R9
	DECQ R8
	JNZ  rowLoop

	MOVQ sums+72(FP), AX
	VMOVUPD Z0, 0(AX)
	VMOVUPD Z1, 64(AX)
	VMOVUPD Z2, 128(AX)
	VMOVUPD Z3, 192(AX)
	VMOVUPD Z4, 256(AX)
	VMOVUPD Z5, 320(AX)
	VMOVUPD Z6, 384(AX)
	VMOVUPD Z7, 448(AX)
	VMOVUPD Z8, 512(AX)
	VMOVUPD Z9, 576(AX)
	VMOVUPD Z10, 640(AX)
	VMOVUPD Z11, 704(AX)
	VMOVUPD Z12, 768(AX)
	VMOVUPD Z13, 832(AX)
	VMOVUPD Z14, 896(AX)
	VMOVUPD Z15, 960(AX)
	VMOVUPD Z16, 1024(AX)
	VMOVUPD Z17, 1088(AX)
	VZEROUPPER
	RET
